"""The code's shape, as the reshaping left it: small files, no view reaching into another view,
and the GUI reading Values only through their public accessors."""

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIEWS = {p.stem for p in (ROOT / "gui" / "views").glob("*.py") if p.stem.endswith(("_view", "_plot"))}


def sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def test_no_source_file_outside_the_tests_is_over_500_lines():
    long = {str(p.relative_to(ROOT)): n for p in sources("engine", "gui", "benchmarks", "scripts")
            if (n := len(p.read_text().splitlines())) > 500}  # fmt: skip
    assert long == {}


def runtime_imports(path: Path) -> set[str]:
    """Modules imported when the file runs (not those imported only for type checking)."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_no_view_imports_another_view():
    assert {"loss_plot", "boundary_view", "graph_view", "expression_view", "diagnostics_view"} <= VIEWS
    crossings = {
        (path.stem, module)
        for path in sources("gui/views")
        for module in runtime_imports(path)
        if module.startswith("gui.views.") and module.split(".")[-1] in VIEWS - {path.stem}
    }
    assert crossings == set()


def test_the_gui_reads_values_through_their_public_accessors():
    private = re.compile(r"\.(_prev|_op|_arg|_exponent|_params)\b")
    readers = [f"{p.relative_to(ROOT)}:{i}" for p in sources("gui") for i, line in
               enumerate(p.read_text().splitlines(), 1) if private.search(line)]  # fmt: skip
    assert readers == []

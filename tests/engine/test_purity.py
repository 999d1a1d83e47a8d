"""engine/ never imports a GUI, plotting or ML library: everything it computes runs headless."""

import json
import subprocess
import sys
from pathlib import Path

FORBIDDEN = ["PySide6", "matplotlib", "graphviz", "torch"]
REPO = Path(__file__).resolve().parents[2]

# Run in a fresh interpreter: in this one, other tests may already have imported torch.
PROBE = """
import json, pkgutil, sys
import engine, engine.nn, engine.value
names = sorted(f"engine.{m.name}" for m in pkgutil.iter_modules(engine.__path__))
for name in names:
    __import__(name)
print(json.dumps({"modules": names, "loaded": sorted(sys.modules)}))
"""


def test_engine_imports_no_gui_plotting_or_torch():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"engine.value", "engine.nn"} <= set(report["modules"])  # the discovery found the engine
    loaded = {name.split(".")[0] for name in report["loaded"]}
    assert set(report["modules"]) <= set(report["loaded"])
    assert loaded.isdisjoint(FORBIDDEN), sorted(loaded & set(FORBIDDEN))


# engine/graph.py is being rewritten on another branch; it reads value's old name until then.
PRIVATE_IMPORTS_STILL_ALLOWED: set[tuple[str, str, str]] = set()


def test_no_engine_module_imports_another_modules_private_names():
    import ast

    found = set()
    for path in sorted((REPO / "engine").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("engine"):
                for alias in node.names:
                    if alias.name.startswith("_"):
                        found.add((path.relative_to(REPO).as_posix(), node.module, alias.name))
    assert found <= PRIVATE_IMPORTS_STILL_ALLOWED, sorted(found - PRIVATE_IMPORTS_STILL_ALLOWED)

"""Nothing a user does waits on the GUI thread: no network built to be refused, no `dot` waited for.

A fake `dot` on PATH records its process id and sleeps, standing in for a layout that
takes long; the tests check that such a process is killed (and reaped) when nobody
wants its answer any more.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

import gui
import gui.graph.canvas
import gui.graph.threads
from engine.data import lecture, moons
from engine.nn import MLP
from engine.spec import ModelSpec
from engine.weights import ModelWeights
from gui.panels import fresh_weights as fresh_weights_module
from gui.views.graph_view import GraphView
from tests.gui.process_helpers import gone

pytestmark = pytest.mark.skipif(shutil.which("sleep") is None, reason="needs a POSIX sleep")


SLOW_DOT_SECONDS = 15  # a layout that takes this long unless killed; the layout time limit is raised above it


class FakeDot:
    """`dot` on PATH that notes its pid in `pids/`, sleeps, then notes it in `finished/`.

    A process that was killed never reaches `finished/`: that tells a killed layout from one
    that was waited for, with no clock involved. With `fast()`, the real dot runs instead.
    """

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
        self.pids_dir = tmp_path / "pids"
        self.finished_dir = tmp_path / "finished"
        self.pids_dir.mkdir()
        self.finished_dir.mkdir()
        self.slow_flag = tmp_path / "slow"
        self.slow_flag.touch()
        real = shutil.which("dot") or "/bin/false"
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        script = bin_dir / "dot"
        script.write_text(
            f"#!{sys.executable}\n"
            "import os, sys, time\n"
            f"if not os.path.exists({str(self.slow_flag)!r}):\n"
            f"    os.execv({real!r}, [{real!r}, *sys.argv[1:]])\n"
            f"open(os.path.join({str(self.pids_dir)!r}, str(os.getpid())), 'w').close()\n"
            f"time.sleep({SLOW_DOT_SECONDS})\n"
            f"open(os.path.join({str(self.finished_dir)!r}, str(os.getpid())), 'w').close()\n"
        )
        script.chmod(0o755)
        monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
        monkeypatch.setattr(gui.graph.threads, "LAYOUT_TIMEOUT_S", SLOW_DOT_SECONDS * 4)

    def pids(self) -> list[int]:
        return sorted(int(p.name) for p in self.pids_dir.iterdir())

    def finished(self) -> list[int]:
        """Slow layouts that ran to their end (nobody killed them)."""
        return sorted(int(p.name) for p in self.finished_dir.iterdir())

    def fast(self) -> None:
        self.slow_flag.unlink()


@pytest.fixture
def fake_dot(tmp_path, monkeypatch) -> FakeDot:
    return FakeDot(tmp_path, monkeypatch)


@pytest.fixture
def view(qtbot) -> GraphView:
    widget = GraphView()
    widget.resize(900, 600)
    qtbot.addWidget(widget)
    return widget


def lecture_weights(seed: int = 0) -> ModelWeights:
    return ModelWeights.from_model(MLP(3, [4, 4, 1], seed=seed))


# ---- dot is killed when nobody wants its layout


def test_closing_the_graph_view_kills_a_running_dot(qtbot, view, fake_dot):
    view.set_model(lecture_weights(), lecture(), "sse")
    qtbot.waitUntil(lambda: len(fake_dot.pids()) == 1)
    (pid,) = fake_dot.pids()
    assert not gone(pid)
    view.close()
    assert gone(pid) and fake_dot.finished() == []  # killed, not waited for


def test_a_superseded_layout_kills_its_dot_and_the_newest_is_shown(qtbot, view, fake_dot):
    view.neurons_combo.setCurrentIndex(1)  # expanded
    view.set_model(lecture_weights(), lecture(), "sse")
    qtbot.waitUntil(lambda: len(fake_dot.pids()) == 1)
    (first,) = fake_dot.pids()
    fake_dot.fast()
    with qtbot.waitSignal(view.graph_shown, timeout=30_000):
        view.neurons_combo.setCurrentIndex(2)  # collapsed: another DOT text supersedes the first
    qtbot.waitUntil(lambda: gone(first))
    assert fake_dot.finished() == []  # killed, not waited for
    assert len(view.current_graph()) < 60 and view.shown_svg is not None


def test_a_cancelled_layout_kills_its_dot(qtbot, view, fake_dot):
    view.set_model(lecture_weights(), lecture(), "sse")
    qtbot.waitUntil(lambda: len(fake_dot.pids()) == 1)
    (pid,) = fake_dot.pids()
    view.set_model(lecture_weights(), moons(10), "sse")  # wrong input count: a message, no layout wanted
    assert "inputs" in view.message_label.text()
    qtbot.waitUntil(lambda: gone(pid))
    assert fake_dot.finished() == []


def test_closing_the_window_kills_a_running_dot(qtbot, window, fake_dot):
    window.tabs.setCurrentWidget(window.graph_view)
    qtbot.waitUntil(lambda: len(fake_dot.pids()) == 1)
    (pid,) = fake_dot.pids()
    window.close()
    assert gone(pid) and fake_dot.finished() == []


def test_closing_the_expression_tab_kills_a_running_dot(qtbot, window, fake_dot):
    window.tabs.setCurrentWidget(window.expression_view)
    qtbot.waitUntil(lambda: len(fake_dot.pids()) >= 1)
    pids = fake_dot.pids()
    window.close()
    assert all(gone(pid) for pid in pids) and fake_dot.finished() == []


# ---- the largest model: refused from its shape, without building it


def test_graph_tab_refuses_the_largest_model_without_building_it(qtbot, window, monkeypatch):
    spec = ModelSpec([256] * 8, ["tanh"] * 8, "tanh", 0)

    def refuse(*_args, **_kwargs):
        raise AssertionError("built a network of Values only to refuse to draw it")

    monkeypatch.setattr(ModelWeights, "to_model", refuse)
    monkeypatch.setattr(ModelSpec, "build", refuse)
    window.model_panel.spec_changed.emit(spec)  # as if typed: fresh weights for 8 x 256
    assert window._weights.sizes == [256] * 8 + [1]
    window.tabs.setCurrentWidget(window.graph_view)
    text = window.graph_view.message_label.text()
    assert "too many" in text or "at most" in text
    assert window.graph_view.current_graph() is None


# ---- PyTorch runs in a child process, never in the window's


WINDOW_COMPARES = """
import sys, time
from PySide6.QtWidgets import QApplication
app = QApplication([])
from engine.data import lecture
from engine.session import Session
from engine.spec import ModelSpec
from engine.settings import TrainSettings
from gui.window.main_window import MainWindow

def wait_until(condition):
    deadline = time.monotonic() + 120
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        app.processEvents()
        time.sleep(0.002)

window = MainWindow()
window.show()
window.apply_session(Session(lecture(), ModelSpec(), TrainSettings()))
view = window.graph_view
window.tabs.setCurrentWidget(view)
wait_until(lambda: view.shown_svg is not None)
differences = []
view.torch_compared.connect(differences.append)
view.torch_button.click()
wait_until(lambda: differences)
window.tabs.setCurrentWidget(window.expression_view)
wait_until(lambda: window.expression_view.current_graph() is not None)
wait_until(lambda: not window.expression_view.torch_pending)
print("difference=" + repr(differences[0]))
print("column=" + window.expression_view.results_table.item(1, 3).text())
print("note=" + window.expression_view.torch_note.text())
print("torch imported=" + repr("torch" in sys.modules))
window.close()
"""


def test_the_window_compares_with_pytorch_without_importing_it(tmp_path):
    """A fresh process (the test process may have imported torch already): both tabs compare."""
    pytest.importorskip("torch")
    import subprocess

    script = tmp_path / "window_compares.py"
    script.write_text(WINDOW_COMPARES)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(Path(gui.__file__).parent.parent)}
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    lines = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert float(lines["difference"]) <= 1e-12  # PyTorch's grads arrived, and agree
    assert lines["column"] == "6.0"  # the Expression tab's PyTorch column: a's grad in L = (a·b + c)·f
    assert lines["note"] == "PyTorch (float64) computes out = -8.0: the same as ours."  # L = -8
    assert lines["torch imported"] == "False"


@pytest.fixture
def no_torch_import_here(monkeypatch) -> list[str]:
    """Every `import torch` made in this process while the test runs (there must be none)."""
    import builtins

    imports: list[str] = []
    real_import = builtins.__import__

    def recording(name, *args, **kwargs):
        if name == "torch" or name.startswith("torch."):
            imports.append(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", recording)
    return imports


@pytest.fixture
def fresh_child(qtbot):
    """No PyTorch child running: the next comparison starts one (and PyTorch loads in it)."""
    from gui.processes import torch_process

    torch_process.shutdown()
    assert torch_process.service().pid is None
    yield torch_process.service()
    torch_process.shutdown()


def test_the_graph_tabs_first_pytorch_comparison_says_loading_then_shows_it(
    qtbot, view, fresh_child, no_torch_import_here
):
    pytest.importorskip("torch")
    with qtbot.waitSignal(view.graph_shown, timeout=30_000):
        view.set_model(lecture_weights(), lecture(), "sse")
    with qtbot.waitSignal(view.torch_compared, timeout=60_000) as compared:
        view.compare_with_torch()
        assert "Loading PyTorch" in view.details.toPlainText()  # the child imports torch meanwhile
        assert fresh_child.pid is not None
    assert compared.args[0] <= 1e-12
    assert "41 parameters" in view.details.toPlainText()
    assert no_torch_import_here == []


def test_the_expression_tabs_pytorch_column_fills_in_from_the_child(qtbot, fresh_child, no_torch_import_here):
    pytest.importorskip("torch")
    from gui.views.expression_view import ExpressionView

    view = ExpressionView()
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.torch_compared, timeout=60_000):
        view.set_example(0)
        assert "Loading PyTorch" in view.torch_note.text() and not view.torch_note.isHidden()
        assert view.results_table.item(1, 3).text() == "…"  # asked, not answered yet
    assert view.torch_note.text() == "PyTorch (float64) computes out = -8.0: the same as ours."
    assert view.results_table.item(1, 3).text() == "6.0"  # a's grad, PyTorch's
    assert no_torch_import_here == []


# ---- typing a large model: passed on when the typing pauses, not at every key


def test_typing_a_large_model_passes_it_on_once_when_typing_pauses(qtbot):
    from PySide6.QtCore import Qt

    from gui.panels.model_panel import ModelPanel

    panel = ModelPanel()
    qtbot.addWidget(panel)
    emitted: list[ModelSpec] = []
    panel.spec_changed.connect(emitted.append)
    panel.layers_edit.selectAll()
    qtbot.keyClicks(panel.layers_edit, "256, 256, 256")
    assert panel.spec().hidden_sizes == [256, 256, 256]  # shown at once...
    assert "256-256-256" in panel.summary_label.text()
    assert [s.hidden_sizes for s in emitted] == [[2], [25], [256], [256, 2]]  # small ones at once
    qtbot.waitUntil(lambda: len(emitted) == 5)  # the large one when the typing pauses
    assert emitted[-1].hidden_sizes == [256, 256, 256]
    assert not panel.change_pending

    panel.layers_edit.selectAll()
    qtbot.keyClicks(panel.layers_edit, "128, 128")
    assert panel.change_pending and emitted[-1].hidden_sizes == [128, 12]  # 128, 128 is large: pending
    qtbot.keyClick(panel.layers_edit, Qt.Key.Key_Return)  # Enter passes it on at once
    assert emitted[-1].hidden_sizes == [128, 128] and not panel.change_pending


def test_typing_the_largest_model_resets_the_window_once(qtbot, window, monkeypatch):
    calls: list[ModelSpec] = []
    real = ModelSpec.fresh_weights
    monkeypatch.setattr(
        ModelSpec, "fresh_weights", lambda self, *shape: calls.append(self) or real(self, *shape)
    )
    sliced = fresh_weights_module._made_in_slices  # the thread's way: a row at a time
    monkeypatch.setattr(
        fresh_weights_module,
        "_made_in_slices",
        lambda spec, *shape: calls.append(spec) or sliced(spec, *shape),
    )
    edit = window.model_panel.layers_edit
    edit.selectAll()
    qtbot.keyClicks(edit, "256, 256, 256, 256, 256, 256, 256, 256")
    qtbot.waitUntil(lambda: window._weights.sizes == [256] * 8 + [1])
    large = [s for s in calls if s.parameter_count(3) > 5_000]
    assert len(large) == 1  # not one 8 x 256 network per keystroke


# ---- large graphs: painted in a thread that never holds the interpreter for long


@pytest.fixture
def no_gil_holding_svg_parsing(monkeypatch) -> list[str]:
    """QSvgRenderer.load and QImageReader.size hold the GIL for a fifth of a second on the moons graph:
    record any use of them on a large SVG (the canvas may still load small ones as vectors)."""
    from PySide6.QtGui import QImageReader
    from PySide6.QtSvg import QSvgRenderer

    uses: list[str] = []

    class WatchedRenderer(QSvgRenderer):
        def load(self, data, *args):
            if len(data) > gui.graph.canvas.ASYNC_SVG_BYTES:
                uses.append("QSvgRenderer.load")
            return super().load(data, *args)

    class WatchedReader(QImageReader):
        def size(self):
            uses.append("QImageReader.size")
            return super().size()

    monkeypatch.setattr(gui.graph.canvas, "QSvgRenderer", WatchedRenderer)
    monkeypatch.setattr(gui.graph.threads, "QImageReader", WatchedReader)
    return uses


def show_expanded_moons(qtbot, view: GraphView) -> None:
    view.neurons_combo.setCurrentIndex(1)  # expanded: 986 nodes, an SVG of 1.6 MB
    weights = ModelWeights.from_model(
        MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    )
    with qtbot.waitSignal(view.graph_shown, timeout=60_000):
        view.set_model(weights, moons(100, 0.1, 0), "hinge")
    assert len(view.shown_svg) > gui.graph.canvas.ASYNC_SVG_BYTES and not view.canvas.painting


def test_a_large_graph_is_shown_clicked_and_followed_without_qt_parsing_its_svg(
    qtbot, no_gil_holding_svg_parsing
):
    view = GraphView()  # created after the patch: its canvas's own renderer is watched too
    view.resize(1100, 700)
    qtbot.addWidget(view)
    view.show()
    show_expanded_moons(qtbot, view)
    graph = view.current_graph()
    node = next(n for n in graph.nodes if n.name == "w2.5.3")
    rect = view.canvas.node_rect(node.id)
    assert rect is not None and rect.width() > 20
    with qtbot.waitSignal(view.node_selected) as blocker:
        view.canvas.click_at(rect.center())
    assert blocker.args == [node.id]
    view.follow_check.setChecked(True)
    for _ in range(3):
        view.step_next_button.click()
    current = view.canvas.node_rect(view.session.last_step.node.id)
    visible = view.canvas.mapToScene(view.canvas.viewport().rect()).boundingRect()
    assert visible.contains(current.center())  # "Follow" scrolled to the step's node
    assert view.canvas.zoom >= view.canvas.READABLE_SCALE
    qtbot.waitUntil(lambda: not view.canvas.painting, timeout=60_000)
    assert no_gil_holding_svg_parsing == []


def test_node_boxes_read_from_the_svg_are_where_qt_draws_the_nodes(qtbot, view):
    """The geometry SvgTemplate reads from dot's SVG agrees with Qt's renderer, node by node."""
    view.neurons_combo.setCurrentIndex(1)
    with qtbot.waitSignal(view.graph_shown, timeout=30_000):
        view.set_model(lecture_weights(), lecture(), "sse")
    canvas = view.canvas
    renderer = canvas.renderer  # a small SVG: loaded as vectors, so Qt's own answer is at hand
    box, size = renderer.viewBoxF(), renderer.defaultSize()
    sx, sy = size.width() / box.width(), size.height() / box.height()
    elements = list(canvas._geometry.boxes)
    assert len(elements) == len(view.current_graph().nodes) + sum(
        1 for n in view.current_graph().nodes if n.value._prev
    )
    for element in elements:
        qt = renderer.transformForElement(element).mapRect(renderer.boundsOnElement(element))
        ours = canvas.element_rect(element)
        for a, b in (
            (ours.left(), (qt.left() - box.x()) * sx),
            (ours.top(), (qt.top() - box.y()) * sy),
            (ours.right(), (qt.right() - box.x()) * sx),
            (ours.bottom(), (qt.bottom() - box.y()) * sy),
        ):
            assert abs(a - b) <= 1.0, element  # Qt's bounds include half the 1 px outline


def test_the_collector_rests_while_a_large_svg_is_parsed_into_a_template(monkeypatch):
    """A full collection in a window's process holds the GIL ~70 ms, whichever thread runs it; the
    layout thread's parse of the moons graph (tens of thousands of elements) used to set one off.
    While the parsed tree exists the collector is paused; afterwards it is on again."""
    import gc

    from engine import graph as graph_engine
    from gui.graph import render as graph_render
    from gui.graph import svg as graph_svg

    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    data = moons(100, 0.1, 0)
    graph = graph_engine.sample_graph(model, data.inputs[0], data.targets[0], "hinge", True, False)
    svg = graph_render.layout_svg(graph_render.to_dot(graph), timeout=60)
    collector_on_with_the_tree: list[bool] = []
    real_tostring = graph_svg.ET.tostring

    def tostring(root, *args, **kwargs):  # called once, with the whole tree in memory
        collector_on_with_the_tree.append(gc.isenabled())
        return real_tostring(root, *args, **kwargs)

    monkeypatch.setattr(graph_svg.ET, "tostring", tostring)
    template = graph_svg.SvgTemplate(svg, graph.node_ids)
    assert collector_on_with_the_tree == [False]
    assert gc.isenabled()
    assert len(template.geometry.boxes) > 900


# ---- a PyTorch .pt export: written by the PyTorch child, torch never imported here


def test_exporting_pytorch_weights_imports_no_torch_here_and_says_when_written(
    qtbot, window, tmp_path, fresh_child, no_torch_import_here
):
    torch = pytest.importorskip("torch")
    path = tmp_path / "weights.pt"
    weights = window._weights
    with qtbot.waitSignal(
        window.statusBar().messageChanged, timeout=120_000, check_params_cb=lambda m: "Exported" in m
    ):
        assert window.export_weights(path, "torch") is True  # started: the child writes it
        assert "Exporting weights" in window.statusBar().currentMessage()
    assert no_torch_import_here == []
    state = torch.load(path)
    assert state["0.weight"].tolist() == weights.layers[0].weight
    assert state["0.bias"].tolist() == weights.layers[0].bias
    assert window.last_error == ""


def test_a_pytorch_export_the_child_cannot_write_is_shown_whole(qtbot, window, tmp_path, fresh_child):
    pytest.importorskip("torch")
    folder_in_the_way = tmp_path / "taken.pt"
    folder_in_the_way.mkdir()  # the folder exists, so only writing the file finds out
    assert window.export_weights(folder_in_the_way, "torch") is True
    qtbot.waitUntil(lambda: window.last_error.startswith("Could not export to taken.pt: "), timeout=120_000)
    assert "Error" not in window.last_error and "Traceback" not in window.last_error


# ---- the decision boundary's full draw: in the canvas's thread, with changes held back meanwhile


def test_the_boundarys_full_draw_leaves_the_gui_thread_and_weights_that_come_meanwhile_follow(
    qtbot, monkeypatch
):
    import threading

    from gui.views.boundary_view import BoundaryView

    view = BoundaryView()
    view.resize(700, 500)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitExposed(view)
    data = moons(60, 0.1, 0)
    view.set_dataset(data)
    qtbot.waitUntil(lambda: view.canvas.full_draws >= 1 and not view.canvas.rendering)
    figure_draw = view.figure.draw
    threads = []
    monkeypatch.setattr(
        view.figure, "draw", lambda renderer: threads.append(threading.get_ident()) or figure_draw(renderer)
    )
    view.set_dataset(moons(80, 0.1, 1))  # new limits: a full draw
    qtbot.waitUntil(lambda: view.canvas.rendering)
    weights = ModelWeights.from_model(MLP(2, [8, 1], seed=3))
    with qtbot.waitSignal(view.output_shown, timeout=10_000):
        view.set_weights(weights)  # held back while the thread draws, then shown
        if view.canvas.rendering:
            assert view.grid_values() is None
    assert view.grid_values() is not None and view.grid_values().shape == (100, 100)
    assert threads and threading.get_ident() not in threads

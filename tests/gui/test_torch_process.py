"""The PyTorch child: started by the first comparison, shared, killed with its last view, and honest when it fails."""

from __future__ import annotations

import gc
import os
import signal

import pytest

import gui.views.expression_view
import gui.views.graph_view
from engine.data import lecture
from engine.nn import MLP
from engine.weights import LayerWeights, ModelWeights
from gui.processes import torch_process
from gui.views.expression_view import ExpressionView
from gui.views.graph_view import GraphView
from tests.gui.process_helpers import gone

TIMEOUT_MS = 60_000


@pytest.fixture(autouse=True)
def fresh_child(qtbot):
    """Each test starts with no PyTorch child, and leaves none behind."""
    torch_process.shutdown()
    yield torch_process.service()
    torch_process.shutdown()


def graph_view(qtbot) -> GraphView:
    view = GraphView()
    view.resize(900, 600)
    with qtbot.waitSignal(view.graph_shown, timeout=TIMEOUT_MS):
        view.set_model(ModelWeights.from_model(MLP(3, [4, 4, 1], seed=0)), lecture(), "sse")
    return view


def compare(qtbot, view: GraphView) -> float:
    with qtbot.waitSignal(view.torch_compared, timeout=TIMEOUT_MS) as blocker:
        view.compare_with_torch()
    return blocker.args[0]


def test_two_views_share_one_child_and_closing_the_last_kills_it(qtbot, fresh_child):
    pytest.importorskip("torch")
    first, second = graph_view(qtbot), graph_view(qtbot)
    compare(qtbot, first)
    pid = fresh_child.pid
    assert pid is not None and not gone(pid)
    compare(qtbot, second)
    assert fresh_child.pid == pid  # the same child answers both
    first.close()
    assert not gone(pid)  # the other view still uses it
    second.close()
    assert gone(pid) and fresh_child.pid is None


def test_a_view_dropped_without_closing_does_not_leave_the_child_running(qtbot, fresh_child):
    pytest.importorskip("torch")
    view = graph_view(qtbot)
    compare(qtbot, view)
    pid = fresh_child.pid
    del view
    gc.collect()
    qtbot.waitUntil(lambda: gone(pid))
    assert fresh_child.pid is None


def test_a_child_that_dies_is_a_message_and_the_next_comparison_starts_a_new_one(qtbot, fresh_child):
    pytest.importorskip("torch")
    view = graph_view(qtbot)
    qtbot.addWidget(view)
    view.compare_with_torch()  # PyTorch is loading in the child: killed before it answers
    pid = fresh_child.pid
    os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: "ended unexpectedly" in view.details.toPlainText(), timeout=TIMEOUT_MS)
    assert compare(qtbot, view) <= 1e-12
    assert fresh_child.pid not in (None, pid)


def test_a_pytorch_that_cannot_be_loaded_says_so_in_both_tabs(qtbot, tmp_path, monkeypatch):
    broken = tmp_path / "torch"
    broken.mkdir()
    (broken / "__init__.py").write_text(
        "raise ImportError('libtorch_cpu.so: cannot open shared object file')\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # the child's torch is this one
    monkeypatch.setattr(gui.views.graph_view, "torch_installed", lambda: True)
    monkeypatch.setattr(gui.views.expression_view, "torch_installed", lambda: True)
    view = graph_view(qtbot)
    qtbot.addWidget(view)
    view.compare_with_torch()
    qtbot.waitUntil(lambda: "could not be loaded" in view.details.toPlainText(), timeout=TIMEOUT_MS)
    assert "libtorch_cpu.so" in view.details.toPlainText()
    expression = ExpressionView()
    qtbot.addWidget(expression)
    with qtbot.waitSignal(expression.torch_compared, timeout=TIMEOUT_MS):
        expression.set_example(0)
    note = expression.torch_note.text()
    assert "could not be loaded" in note and "The rest works" in note and not expression.torch_note.isHidden()
    assert expression.results_table.item(1, 3).text() == "—"  # a's grad: nothing to compare with
    assert expression.results_table.item(0, 2).text() == "1.0"  # our own numbers are all there


def test_without_pytorch_installed_no_child_starts_and_the_hint_is_the_cpu_build(
    qtbot, fresh_child, monkeypatch
):
    monkeypatch.setattr(gui.views.graph_view, "torch_installed", lambda: False)
    view = graph_view(qtbot)
    qtbot.addWidget(view)
    view.compare_with_torch()
    text = view.details.toPlainText()
    assert "PyTorch is not installed" in text and "download.pytorch.org/whl/cpu" in text
    assert fresh_child.pid is None


def test_a_later_expression_is_not_shown_with_an_earlier_ones_answer(qtbot):
    pytest.importorskip("torch")
    view = ExpressionView()
    qtbot.addWidget(view)
    view.set_example(0)  # L = -8 in the lecture: asked while PyTorch loads
    with qtbot.waitSignal(view.torch_compared, timeout=TIMEOUT_MS):
        view.set_example(3)  # asked after it: the first answer is for an expression no longer shown
    rows = view.results_table
    assert view.torch_note.text().endswith(" = 6.0: the same as ours.")  # a + a at a = 3, not -8.0
    assert rows.item(1, 3).text() == "2.0"  # a's grad in a + a, not L's 6.0
    assert all(rows.item(r, 4).text() == "0" for r in range(1, rows.rowCount()))  # the grads agree


# ---- weights saved as a .pt file by the child


def export(qtbot, weights: ModelWeights, path) -> str:
    job = torch_process.TorchExport(weights, path)
    with qtbot.waitSignal(job.finished, timeout=TIMEOUT_MS) as finished:
        assert job.pending
    assert finished.args[0] == str(path)
    return finished.args[1]


def test_a_relative_path_is_written_where_the_window_means_not_where_the_child_runs(
    qtbot, tmp_path, monkeypatch
):
    torch = pytest.importorskip("torch")
    monkeypatch.chdir(tmp_path)
    weights = ModelWeights.from_model(MLP(2, [3, 1], seed=1))
    assert export(qtbot, weights, "relative.pt") == ""
    state = torch.load(tmp_path / "relative.pt")
    assert sorted(state) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert state["2.weight"].tolist() == weights.layers[1].weight


def test_the_child_is_let_go_once_the_file_is_written(qtbot, tmp_path, fresh_child):
    pytest.importorskip("torch")
    assert export(qtbot, ModelWeights.from_model(MLP(2, [1], seed=0)), tmp_path / "w.pt") == ""
    pid = fresh_child.pid
    qtbot.waitUntil(lambda: fresh_child.pid is None and (pid is None or gone(pid)), timeout=TIMEOUT_MS)


def test_weights_that_could_not_be_loaded_back_are_refused_in_words(qtbot, tmp_path):
    pytest.importorskip("torch")
    weights = ModelWeights(5000, [LayerWeights("tanh", [[0.0] * 5000], [0.0])])
    problem = export(qtbot, weights, tmp_path / "wide.pt")
    assert "could not be loaded back" in problem
    assert not (tmp_path / "wide.pt").exists()


def test_a_missing_folder_is_refused_at_once(tmp_path):
    with pytest.raises(FileNotFoundError):
        torch_process.TorchExport(
            ModelWeights.from_model(MLP(2, [1], seed=0)), tmp_path / "no folder" / "w.pt"
        )

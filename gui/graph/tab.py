"""What both graph tabs offer the window, tests and benchmarks, read from their `GraphPane`."""

from __future__ import annotations

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QWidget

from engine.graph import Graph
from gui.graph.pane import GraphPane
from gui.processes.torch_process import TorchComparer


def _pane_value(name: str, doc: str) -> property:
    """A read-only property of the tab: its pane's attribute `name`."""
    return property(lambda tab: getattr(tab.pane, name), doc=doc)


class GraphTab(QWidget):
    """A tab whose graph is drawn by `self.pane` (set by the subclass), compared with PyTorch's
    through `self.comparer` (answers go to the subclass's `_on_torch_answered`)."""

    pane: GraphPane

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.comparer = TorchComparer()  # PyTorch, in a child process: importing it here would freeze us
        self.comparer.answered.connect(self._on_torch_answered)
        self._torch_request: object = None  # the comparison waited for, if any
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def _on_torch_answered(self, request_id: int, result: object, failure: str, why: str) -> None:
        raise NotImplementedError

    def current_graph(self) -> Graph | None:
        return self.pane.graph

    # what the pane holds, read through the tab
    session = _pane_value("session", "The BackpropSession shown: step-through, backward() again, selection.")
    shown_svg = _pane_value("shown_svg", "The SVG on the canvas, numbers and outlines included.")
    graph_message = _pane_value("graph_message", "Shown in place of the graph (Graphviz missing or failing).")
    last_layout_seconds = _pane_value("last_layout_seconds", "From the request to the graph on screen.")

    @property
    def stepping(self) -> bool:
        return self.session.stepping

    @property
    def step_position(self) -> int:
        """Nodes whose backward rule has run in step-through (0 outside it)."""
        return self.session.position

    @property
    def highlights(self) -> dict[str, str]:
        """Node id -> "current", "operand" or "selected": the outlines drawn now."""
        return self.session.highlights

    def export(self, path: str) -> None:
        """Write the graph as shown: .svg, .png (2×, white background) or .dot (with its numbers)."""
        self.pane.export(path)

    def shutdown(self) -> None:
        """Stop the layout and painting threads (a running `dot` is killed); safe to call twice."""
        self.pane.shutdown()
        self._torch_request = None
        self.comparer.close()  # the PyTorch child ends with the last view using it

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

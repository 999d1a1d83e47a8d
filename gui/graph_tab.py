"""What both graph tabs offer the window, tests and benchmarks, read from their `GraphPane`."""

from __future__ import annotations

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QApplication, QWidget

from engine.backprop import BackpropSession
from engine.graph import Graph
from gui.graph_pane import GraphPane
from gui.torch_process import TorchComparer


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

    @property
    def session(self) -> BackpropSession:
        """The backprop shown: step-through, backward() again, the selection (engine.backprop)."""
        return self.pane.session

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

    @property
    def shown_svg(self) -> bytes | None:
        """The SVG on the canvas, numbers and outlines included."""
        return self.pane.shown_svg

    @property
    def graph_message(self) -> str:
        """Shown in place of the graph (Graphviz missing or failing)."""
        return self.pane.graph_message

    @property
    def last_layout_seconds(self) -> float:
        """From the request to the graph on screen, for the status bar and benchmarks."""
        return self.pane.last_layout_seconds

    def export(self, path: str) -> None:
        """Write the graph as shown: .svg, .png (2×, white background) or .dot (with its numbers)."""
        self.pane.export(path)

    def shutdown(self) -> None:
        """Stop the layout and painting threads (a running `dot` is killed); safe to call twice."""
        self.pane.shutdown()
        self._torch_request = None
        self.comparer.close()  # the PyTorch child ends with the last view using it

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.shutdown()
        super().closeEvent(event)

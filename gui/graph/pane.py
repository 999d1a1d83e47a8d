"""One graph pane for both graph tabs: the drawn graph, its backprop controls, and the step it is at.

The Computation graph and Expression tabs each put one of these under their own
controls. The pane holds the canvas, the step bar (step, back, play, to the end,
reset, backward() again, follow), the step label, the layout thread and the last
layout (reused while the DOT text stays the same: only numbers change), the SVG
on screen, export, and a `BackpropSession` (engine/backprop.py), the Qt-free state
of step-through, backward() again and the selection. The tab says what to draw
(`show_graph`) and fills in its own texts when the pane has drawn (`rendered`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSignalBlocker, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.backprop import BackpropSession
from engine.graph import Graph, GraphError
from engine.teaching import explain_step
from gui.graph import render as graph_render
from gui.graph.canvas import SvgGraphCanvas
from gui.graph.export import export_graph
from gui.graph.render import KIND_COLORS
from gui.graph.svg import SvgGraph, SvgTemplate
from gui.graph.threads import LayoutRunner

PLAY_INTERVAL_MS = 400
CURRENT_STYLE = ("#d62728", 4.0)  # the node whose backward rule runs in this step
OPERAND_STYLE = ("#f28e2b", 3.0)  # the operands it passes gradient to
SELECTED_STYLE = ("#1f5fbf", 3.5)  # the node clicked last
LOOKS = {"current": CURRENT_STYLE, "operand": OPERAND_STYLE, "selected": SELECTED_STYLE}
EXPORT_FORMATS = (  # menu text, suffix, file dialog filter
    ("SVG image…", ".svg", "SVG image (*.svg)"),
    ("PNG image…", ".png", "PNG image (*.png)"),
    ("Graphviz DOT…", ".dot", "Graphviz DOT (*.dot *.gv)"),
)
EXPORT_SUFFIXES = (".svg", ".png", ".dot", ".gv")
MESSAGE_LOOKS = {
    True: "background: #fff4ce; border: 1px solid #e0c060;",  # a problem
    False: "background: #eef3fb;",  # news: "Laying out…"
}


class GraphPane(QWidget):
    """A graph on a canvas with step-through backprop, laid out by `dot` in a thread.

    `needs_picture`: the backprop controls work only while a laid-out graph is on screen
    (otherwise they work on the numbers alone, as the Expression tab's table shows them).
    """

    graph_shown = Signal()  # a graph was laid out (or drawn anew in the same layout) and is on screen
    rendered = Signal()  # numbers, outlines or step changed: the tab's own texts follow
    node_selected = Signal(str)
    problem_shown = Signal(str)  # no picture, and why
    export_failed = Signal(str)

    def __init__(
        self,
        thread_name: str,
        export_stem: str,
        needs_picture: bool,
        idle_text: Callable[[BackpropSession], str],
        parent: QWidget | None = None,
    ):
        """`idle_text`: the step label outside step-through (a plain function: a bound method of
        the tab would make a reference cycle, and keep a dropped tab and its PyTorch child alive)."""
        super().__init__(parent)
        self.session = BackpropSession()
        self.needs_picture = needs_picture
        self.idle_text = idle_text
        self.export_stem = export_stem
        self.stacked = False  # records stack name, data and grad (else side by side, as the lecture's)
        self.fills: str | None = None  # "kind" or "grad": fills set here; None: the DOT text's own
        self._kind_fills_on: SvgGraph | None = None  # the SvgGraph whose fills are the kinds' colours
        self.follow_scale = SvgGraphCanvas.READABLE_SCALE  # following a step zooms in to at least this
        self.reset_undoes_backward_again = True  # Reset is enabled after backward() again too
        self.problems_on_canvas = False  # a problem's text in the canvas (else the tab shows it)
        self.svg_graph: SvgGraph | None = None  # the laid-out graph on screen, None while there is none
        self.overlay = (
            None  # an exercise over the graph (gui/graph/exercise_mode.py): grads hidden, steps off
        )
        self.shown_svg: bytes | None = None  # the SVG on the canvas, numbers and outlines included
        self.graph_message = ""  # shown in place of the graph (Graphviz missing or failing)
        self.last_layout_seconds = 0.0  # request to graph on screen, for the status bar and benchmarks
        self._layout_bytes: bytes | None = None  # dot's SVG, reused while the DOT text stays the same
        self._layout_template: SvgTemplate | None = None  # that SVG cut for new numbers
        self._shown_dot: str | None = None  # the DOT text of that layout
        self._pending_dot: str | None = None  # the DOT text being laid out
        self._layout_started = 0.0
        self._announce_when_painted = False  # graph_shown waits for the canvas's painting thread
        self.layout_runner = LayoutRunner(self, thread_name)
        self.layout_runner.finished.connect(self._on_layout_finished)
        self._play_timer = QTimer(self, interval=PLAY_INTERVAL_MS, timeout=self._on_play_timer_timeout)
        self._build_widgets()
        self._build_layout()
        self.update_controls()

    # ------------------------------------------------------------ widgets

    def _build_widgets(self) -> None:
        self.message_label = QLabel(wordWrap=True, visible=False)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.canvas = SvgGraphCanvas()
        self.canvas.setMinimumSize(240, 160)
        self.canvas.node_clicked.connect(self._on_canvas_node_clicked)
        self.canvas.shown.connect(self._on_canvas_shown)
        self.canvas.installEventFilter(self)
        icon, sp = self.style().standardIcon, QStyle.StandardPixmap

        def button(pixmap: QStyle.StandardPixmap, text: str, tip: str, slot: Callable) -> QPushButton:
            b = QPushButton(icon(pixmap), text, toolTip=tip, autoDefault=False)
            b.clicked.connect(slot)
            return b

        self.step_prev_button = button(sp.SP_MediaSeekBackward, "", "One step back (Left)", self.step_prev)
        self.step_play_button = QPushButton(
            icon(sp.SP_MediaPlay), "Play", toolTip="Step through backward() automatically", autoDefault=False
        )
        self.step_play_button.setCheckable(True)
        self.step_play_button.toggled.connect(self._on_step_play_toggled)
        self.step_next_button = button(
            sp.SP_MediaSeekForward,
            "Step",
            "Run the next node's backward rule (Right): output first",
            self.step_next,
        )
        self.step_end_button = button(sp.SP_MediaSkipForward, "", "Run backward() to the end", self.step_end)
        self.step_reset_button = button(
            sp.SP_BrowserReload, "Reset", "Leave step-through: the grads of one backward()", self.reset
        )
        self.backward_again_button = QPushButton("backward() again", autoDefault=False)
        self.backward_again_button.clicked.connect(self.backward_again)
        self.follow_check = QCheckBox("Follow", checked=True)
        self.follow_check.setToolTip(
            "While stepping, zoom in until the numbers are readable and keep the current node in view"
        )
        self.fit_button = QToolButton(text="Fit", toolTip="Show the whole graph (0 or F)")
        self.fit_button.clicked.connect(self.canvas.fit)
        self.export_button = QToolButton(
            text="Export", toolTip="Save the graph: SVG, PNG (2×) or Graphviz DOT"
        )
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for text, suffix, _filter in EXPORT_FORMATS:
            menu.addAction(text).setData(suffix)
        # Slots are bound methods, not lambdas holding `self`: a lambda would keep a dropped view alive
        menu.triggered.connect(self._on_export_action)
        self.export_button.setMenu(menu)
        self.step_label = QLabel(wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.step_label.setContentsMargins(8, 2, 8, 2)
        self.step_label.setMinimumHeight(2 * self.fontMetrics().lineSpacing() + 6)
        self.step_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

    def _build_layout(self) -> None:
        """Message, canvas, the step bar (the tab adds what follows Step), the step label."""
        self.step_bar = QHBoxLayout()
        self.step_bar.setContentsMargins(6, 2, 6, 0)
        self.step_bar.setSpacing(4)
        for widget in (
            QLabel("Backprop:"),
            self.step_prev_button,
            self.step_play_button,
            self.step_next_button,
        ):
            self.step_bar.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.message_label)
        layout.addWidget(self.canvas, 1)
        layout.addLayout(self.step_bar)
        layout.addWidget(self.step_label)

    def add_to_step_bar(self, *items: QWidget | int) -> None:
        """Widgets after Step, in order; an int is a stretch."""
        for item in items:
            if isinstance(item, int):
                self.step_bar.addStretch(item)
            else:
                self.step_bar.addWidget(item)

    def show_message(self, text: str, error: bool = False) -> None:
        """A note above the canvas ("Laying out…", or a problem); hidden when empty."""
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))
        self.message_label.setStyleSheet(f"{MESSAGE_LOOKS[error]} color: #333333; padding: 5px 8px;")

    # ------------------------------------------------------------ showing a graph

    @property
    def graph(self) -> Graph | None:
        return self.session.graph

    @property
    def layout_pending(self) -> bool:
        """`dot` is laying out a graph (the picture on screen, if any, is an older one)."""
        return self._pending_dot is not None

    def show_graph(self, graph: Graph, dot: str, renew: bool = False, announce_reuse: bool = True) -> None:
        """Show `graph`, whose DOT text is `dot` (see `draw`).

        `renew`: if the layout on screen serves it, step-through and backward() again go on with
        the new numbers (new weights of the same network); otherwise they start over.
        """
        if renew and self.can_reuse(dot):
            self.session.renew(graph)
        else:
            self.stop_play()
            self.session.show(graph)
        self.draw(dot, announce_reuse)

    def can_reuse(self, dot: str) -> bool:
        """The layout on screen is that of `dot` (the same text lays out the same way)."""
        return dot == self._shown_dot and self._layout_bytes is not None

    def draw(self, dot: str, announce_reuse: bool = True) -> None:
        """Draw the session's graph, whose DOT text is `dot`: at once in the layout on screen if it
        is the same text (only numbers changed), else when `dot` has laid it out.

        `announce_reuse`: emit graph_shown when the layout on screen is reused, too.
        """
        graph = self.session.graph
        if self.can_reuse(dot):
            self._show_in_the_same_layout(graph, announce_reuse)
            return
        self.svg_graph = None  # the old picture stays until the new one is ready, but is inert
        self.render(keep_view=True)
        if dot == self._pending_dot:
            return  # that layout is under way and will show this graph
        ok, why = graph_render.dot_available()
        if not ok:
            self.show_problem(why)
            return
        self._pending_dot = dot
        self._layout_started = time.perf_counter()
        if not self.problems_on_canvas:
            self.show_message(f"Laying out {len(graph):,} nodes…")
        self.layout_runner.request(dot, graph.node_ids)

    def _show_in_the_same_layout(self, graph: Graph, announce: bool) -> None:
        if self._pending_dot is not None:  # a layout for something else is no longer wanted
            self.layout_runner.cancel()
            self._pending_dot = None
            self.show_message("")
        if self.svg_graph is None:
            self.svg_graph = SvgGraph(self._layout_template or self._layout_bytes, graph)
        else:  # the same node ids: its edited SVG serves the new graph (saves parsing it again)
            self.svg_graph.graph = graph
        self.render(keep_view=True)
        if announce:
            self._announce_shown()

    @Slot(object, object, str)
    def _on_layout_finished(self, svg: bytes | None, template: SvgTemplate | None, error: str) -> None:
        dot, self._pending_dot = self._pending_dot, None
        graph = self.session.graph
        if svg is None or template is None or graph is None:
            self.show_problem(error or "Graphviz returned nothing.")
            return
        self.svg_graph = SvgGraph(template, graph)  # parsed in the layout thread: only numbers here
        self._layout_bytes, self._layout_template, self._shown_dot = svg, template, dot
        self.graph_message = ""
        self.show_message("")
        self.render(keep_view=False)
        self._announce_shown()

    def _announce_shown(self) -> None:
        """graph_shown now, or when the canvas has painted a large graph in its thread."""
        self._announce_when_painted = self.canvas.painting
        if not self._announce_when_painted:
            self.last_layout_seconds = time.perf_counter() - self._layout_started
            self.graph_shown.emit()

    def _on_canvas_shown(self) -> None:
        if self._announce_when_painted:
            self._announce_shown()

    def show_problem(self, text: str) -> None:
        """No picture: `text` says why (in the canvas, or the tab shows it on `problem_shown`)."""
        self.layout_runner.cancel()  # whatever is still being laid out is no longer wanted
        self._pending_dot = self._shown_dot = self._layout_bytes = self._layout_template = None
        self.svg_graph = self.shown_svg = None
        self.graph_message = text
        self.canvas.clear(text if self.problems_on_canvas else "")
        self.problem_shown.emit(text)
        self.update_controls()

    # ------------------------------------------------------------ drawing

    def render(self, keep_view: bool) -> None:
        """Numbers, fills and outlines into the SVG and onto the canvas; then the texts."""
        graph, svg_graph = self.session.graph, self.svg_graph
        if graph is None:
            return
        if svg_graph is not None:
            overlay = self.overlay
            svg_graph.update(overlay.shown_grads(graph) if overlay else None)
            self._fill(svg_graph, graph)
            looks = {node_id: LOOKS[what] for node_id, what in self.session.highlights.items()}
            svg_graph.highlight({**looks, **(overlay.outlines(graph) if overlay else {})})
            self.shown_svg = svg_graph.to_bytes()
            root = graph.of(graph.root).id
            self.canvas.set_svg(self.shown_svg, svg_graph.geometry, keep_view=keep_view, focus=root)
        self.step_label.setText(self.step_text())
        self.rendered.emit()
        self.update_controls()

    def _fill(self, svg_graph: SvgGraph, graph: Graph) -> None:
        fills = (
            self.fills if self.overlay is None or self.fills is None else "kind"
        )  # |grad| gives grads away
        if fills == "grad":
            svg_graph.set_fills(graph_render.grad_fills(graph))
            self._kind_fills_on = None
        elif fills == "kind" and self._kind_fills_on is not svg_graph:  # they change with the layout only
            svg_graph.set_fills({n.id: KIND_COLORS[n.kind] for n in graph.nodes})
            self._kind_fills_on = svg_graph

    def dot(self, graph: Graph, numbers: bool = False) -> str:
        """The graph's DOT text as this pane draws it (`numbers`: with the numbers, for export)."""
        color_by_grad = numbers and self.fills == "grad"
        return graph_render.to_dot(graph, color_by_grad=color_by_grad, numbers=numbers, stacked=self.stacked)

    def step_text(self) -> str:
        session = self.session
        if session.graph is None:
            return ""
        if self.overlay is not None:
            return self.overlay.step_text()
        if session.stepping:
            return explain_step(session.graph, session.last_step, session.position, session.total)
        return self.idle_text(session)

    def update_controls(self) -> None:
        session, has_svg, ready = self.session, self.svg_graph is not None, self._ready()
        undo = session.stepping or (self.reset_undoes_backward_again and session.backward_calls > 1)
        self.step_next_button.setEnabled(ready and not session.done)
        self.step_end_button.setEnabled(ready and not session.done)
        self.step_play_button.setEnabled(ready)
        self.step_prev_button.setEnabled(ready and session.position > 0)
        self.step_reset_button.setEnabled(ready and undo)
        self.backward_again_button.setEnabled(ready)
        self.export_button.setEnabled(has_svg)
        self.fit_button.setEnabled(has_svg)

    def _ready(self) -> bool:
        """Whether the backprop controls act: a picture on screen, or (if not needed) a graph."""
        if self.overlay is not None:  # backprop by hand: the learner is the one stepping
            return False
        return self.svg_graph is not None if self.needs_picture else self.session.graph is not None

    # ------------------------------------------------------------ clicks and keys

    def _on_canvas_node_clicked(self, node_id: str) -> None:
        if self.svg_graph is not None and self.session.select(node_id):
            self.render(keep_view=True)
            self.node_selected.emit(node_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.canvas and event.type() == QEvent.Type.KeyPress and self.svg_graph is not None:
            key = event.key()
            if key == Qt.Key.Key_Right:
                self.step_next()
                return True
            if key == Qt.Key.Key_Left:
                self.step_prev()
                return True
        return super().eventFilter(watched, event)

    # ------------------------------------------------------------ step-through and backward again

    def step_next(self) -> None:
        if self._ready() and self.session.step():
            self._after_step()

    def step_prev(self) -> None:
        if self.session.step_back():
            self._after_step()

    def step_end(self) -> None:
        if self._ready():
            self.stop_play()
            self.session.step_to_end()
            self._after_step()

    def reset(self) -> None:
        """Leave step-through, zero_grad(), backward() once: the grads as they should be."""
        self.stop_play()
        self.session.restore_backward()
        self.render(keep_view=True)

    def backward_again(self) -> None:
        """backward() once more without zero_grad(): the leaves add the same gradient again."""
        if self._ready():
            self.stop_play()
            self.session.backward_again()
            self.render(keep_view=True)

    def stop_play(self) -> None:
        self._play_timer.stop()
        show_play_state(self.step_play_button, False)

    def _after_step(self) -> None:
        self.render(keep_view=True)
        step = self.session.last_step
        if step is not None and self.follow_check.isChecked():
            operands = [operand.id for operand, _local, _added in step.contributions]
            self.canvas.ensure_node_visible(step.node.id, self.follow_scale, also=operands)

    def _on_step_play_toggled(self, checked: bool) -> None:
        show_play_state(self.step_play_button, checked)
        if not checked:
            self._play_timer.stop()
            return
        if not self._ready():
            show_play_state(self.step_play_button, False)
            return
        self.session.rewind_for_play()
        self._after_step()
        self._play_timer.start()

    def _on_play_timer_timeout(self) -> None:
        if not self.session.stepping or self.session.done:
            self.stop_play()
            self.update_controls()
            return
        self.step_next()
        if self.session.done:
            self.stop_play()

    # ------------------------------------------------------------ export

    def export(self, path: str) -> None:
        """Write the graph as shown: .svg, .png (2×, white background) or .dot (with its numbers)."""
        svg = self.svg_graph.to_bytes() if self.svg_graph is not None and self.graph is not None else None
        export_graph(path, svg, lambda: self.dot(self.graph, numbers=True))

    def _on_export_action(self, action: QAction) -> None:
        self.export_dialog(action.data())

    def export_dialog(self, suffix: str = ".svg", name_filter: str = "") -> None:
        """Ask where to save the graph, then save it; a failure goes to `export_failed`."""
        name_filter = name_filter or next(f for _t, s, f in EXPORT_FORMATS if s == suffix)
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the graph", f"{self.export_stem}{suffix}", name_filter
        )
        if not path:
            return
        if Path(path).suffix.lower() not in EXPORT_SUFFIXES:
            path += suffix
        try:
            self.export(path)
        except (OSError, ValueError, GraphError) as exc:
            self.export_failed.emit(f"Could not export the graph: {exc}")

    def shutdown(self) -> None:
        """Stop the play timer and the layout and painting threads (a running `dot` is killed); safe twice."""
        self._play_timer.stop()
        self.layout_runner.shutdown()
        self.canvas.shutdown()


def legend_html(fill_rows: list[list[tuple[str | None, str]]]) -> str:
    """Rows of fill colours and what they mean (a colour of None: a note), then the outlines
    step-through and selection draw."""
    swatch = "<td><span style='background:{}'>&nbsp;&nbsp;&nbsp;&nbsp;</span>&nbsp;{}&nbsp;</td>"
    outline = "<td><span style='color:{}'>▢</span>&nbsp;{}&nbsp;</td>"
    rows = [[swatch.format(c, text) if c else f"<td>{text}</td>" for c, text in row] for row in fill_rows]
    looks = ((CURRENT_STYLE, "step"), (OPERAND_STYLE, "its inputs"), (SELECTED_STYLE, "clicked"))
    rows.append([outline.format(color, text) for (color, _width), text in looks])
    body = "".join(f"<tr>{''.join(row)}</tr>" for row in rows)
    return f"<table cellspacing=0 cellpadding=1>{body}</table>"


def show_play_state(button: QAbstractButton, playing: bool) -> None:
    """The step-through Play button: checked with a Pause icon while playing (without emitting)."""
    with QSignalBlocker(button):
        button.setChecked(playing)
    icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
    button.setIcon(button.style().standardIcon(icon))
    button.setText("Pause" if playing else "Play")

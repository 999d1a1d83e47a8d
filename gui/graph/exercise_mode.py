"""Backprop by hand on the drawn graph, for both graph tabs: grads hidden, typed on the node.

`ExerciseMode` puts a row above a `GraphPane`'s canvas (a “Backprop by hand” switch, the
progress and score). Switched on, it turns the graph shown into an `engine.exercises.Exercise`:
every record says “grad ?”, the nodes whose grad the chain rule allows now are outlined
green, and clicking one opens an `AnswerPopup` at that node. The engine checks the answer;
a right one shows the grad in the drawing, a wrong one gets the hint of its operation in
the popup. The pane's step-through is off meanwhile, and the widgets that would give the
grads away (the details, a results table) show the exercise instead.

A new graph (another expression or sample, new weights) starts the exercise over on it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTextBrowser, QWidget

from engine.exercises import Exercise
from engine.expression import ExpressionError, evaluate
from engine.graph import Graph, GraphNode
from engine.teaching import format_number, node_name
from gui.graph.answer_popup import BORDER, AnswerPopup
from gui.graph.pane import GraphPane

MAX_EXERCISE_NODES = 80  # drawn nodes: more is not an exercise but a chore
READY_STYLE = ("#2ca02c", 3.5)  # its grad can be found now
ASKING_STYLE = (BORDER, 4.5)  # the node the popup asks about
REVEALED_STYLE = ("#9467bd", 2.0)  # given by Reveal, not found
PART_STYLE = ("#333333", 2.5)  # in the part of a large graph the learner chose (the rest is thin)
OFF_TEXT = "Hide the grads and find them yourself, node by node, as the lecture does"


class ExerciseMode(QObject):
    """Backprop by hand over `pane`'s graph; `details` explains it, `hidden` are put away meanwhile."""

    changed = Signal()  # started, answered, stopped: progress and score changed

    def __init__(
        self,
        pane: GraphPane,
        details: QTextBrowser,
        hidden: Sequence[QWidget] = (),
        smaller_hint: str = "draw a smaller graph",
    ):
        super().__init__(pane)
        self.pane, self.details, self.hidden, self.smaller_hint = pane, details, tuple(hidden), smaller_hint
        self.exercise: Exercise | None = None
        self.graph: Graph | None = None  # the graph the exercise is on
        self.asked: GraphNode | None = None  # the node the popup is at
        self.part: set[GraphNode] | None = None  # the drawn nodes to answer; None: the learner picks them
        self.feedback = ""  # the last verdict, in the bar
        self._build_bar()
        self.popup = AnswerPopup(pane.canvas.viewport())
        self.popup.hide()
        self.popup.submitted.connect(self.answer)
        self.popup.reveal_requested.connect(self.reveal)
        self.popup.close_requested.connect(self.close_popup)
        pane.canvas.viewport().installEventFilter(self)
        pane.rendered.connect(self._on_rendered)
        pane.node_selected.connect(self.open_at)
        pane.problem_shown.connect(self._on_problem_shown)

    def _build_bar(self) -> None:
        self.toggle_button = QPushButton("✎ Backprop by hand", checkable=True, autoDefault=False)
        self.toggle_button.setToolTip(
            "Exercise mode: every grad is hidden; click a node outlined green and type its grad.\n"
            "Output first, then any node whose users all have theirs (the chain rule's order)."
        )
        self.toggle_button.toggled.connect(self._on_toggled)
        self.restart_button = QPushButton("Start over", autoDefault=False, visible=False)
        self.restart_button.clicked.connect(self.restart)
        self.status_label = QLabel(OFF_TEXT, wordWrap=True, textFormat=Qt.TextFormat.PlainText)
        self.status_label.setStyleSheet("color: #444444;")
        self.bar = QWidget()
        row = QHBoxLayout(self.bar)
        row.setContentsMargins(6, 2, 6, 0)
        row.addWidget(self.toggle_button)
        row.addWidget(self.status_label, 1)
        row.addWidget(self.restart_button)
        layout = self.pane.layout()
        layout.insertWidget(layout.indexOf(self.pane.canvas), self.bar)

    # ------------------------------------------------------------ on and off

    @property
    def active(self) -> bool:
        return self.toggle_button.isChecked()

    def _on_toggled(self, on: bool) -> None:
        for widget in self.hidden:
            widget.setVisible(not on)
        self.restart_button.setVisible(on)
        if on:
            self.restart()
        else:
            self.exercise = self.graph = None
            self.close_popup()
            self.pane.overlay = None
            self.status_label.setText(OFF_TEXT)
            self.pane.render(keep_view=True)  # the grads again, and the tab's own details
            self.changed.emit()

    def restart(self) -> None:
        """A new exercise on the graph shown, once it is drawn: all of it, or if it is too large,
        the part the learner picks with a click (see `choose_part`)."""
        self.close_popup()
        self.exercise, self.part, self.feedback = None, None, ""
        pane, graph = self.pane, self.pane.graph
        drawn = graph is not None and pane.svg_graph is not None
        self.graph = graph if drawn else None  # None: waiting for the picture
        pane.overlay = self
        if drawn:
            pane.stop_play()
            pane.session.restore_backward()  # out of step-through: the grads of one backward()
            self.exercise = Exercise(graph.root.label or "the output", graph.root)
            nodes = self.drawn_nodes()
            self.part = set(nodes) if len(nodes) <= MAX_EXERCISE_NODES else None
        pane.render(keep_view=True)
        self._show_status()  # also when there is nothing to render yet
        if self.part is not None:  # the output first: its record readable
            pane.canvas.ensure_node_visible(graph.of(graph.root).id, pane.follow_scale)

    def _size_text(self) -> str:
        return (
            f"This graph has {len(self.drawn_nodes()):,} nodes: too many to answer all by hand (at most "
            f"{MAX_EXERCISE_NODES}). Click a node: the exercise will be it and every node between it and "
            f"the output. To do a whole graph, {self.smaller_hint}."
        )

    def part_from(self, node: GraphNode) -> set[GraphNode]:
        """`node` and every drawn node between it and the output: all that use it, all that use those..."""
        users_of, part, todo = self.pane.session.users_of, {node}, [node]
        while todo:
            for user in users_of(todo.pop()):
                if user not in part:
                    part.add(user)
                    todo.append(user)
        return {n for n in part if self.graph.is_drawn(n)}

    def choose_part(self, node: GraphNode) -> bool:
        """A large graph's exercise: `node` up to the output, if that is small enough (else the bar says so)."""
        part = self.part_from(node)
        if len(part) > MAX_EXERCISE_NODES:
            self.feedback = f"From {self.name(node)} that is {len(part)} nodes, still too many: click a node nearer the output."
        else:
            self.part = part
            self.feedback = (
                f"The exercise: {self.name(node)} and every node up to the output, {len(part)} nodes."
            )
        self.pane.render(keep_view=True)
        return self.part is not None

    def _on_rendered(self) -> None:
        if not self.active:
            return
        graph = self.pane.graph
        if graph is not self.graph and graph is not None and self.pane.svg_graph is not None:
            had = self.exercise is not None
            self.restart()  # renders again, and comes back here with this graph
            if had and self.exercise is not None:
                self.feedback = "A new graph (other numbers or another sample): the exercise starts over."
                self._show_status()
            return
        if graph is not self.graph:
            self.close_popup()
        self._show_status()
        if self.pane.overlay is self:
            self._show_details()
        self.changed.emit()

    def _on_problem_shown(self, _text: str) -> None:
        self.close_popup()
        self.exercise = self.graph = None
        if self.active:
            self.status_label.setText("No graph to practise on: " + _text)

    # ------------------------------------------------------------ what the pane draws

    def shown_grads(self, graph: Graph) -> dict[str, float | None]:
        """Node id -> the grad to draw: found (or revealed) ones, None (“grad ?”) for the others."""
        answered = self.exercise.answered if self.exercise is not None and graph is self.graph else {}
        return {node.id: answered.get(node.value) for node in graph.nodes}

    def outlines(self, graph: Graph) -> dict[str, tuple[str, float]]:
        """Green: answerable now; blue: the node asked about; purple: revealed; thick: in the part chosen."""
        exercise = self.exercise
        if exercise is None or graph is not self.graph:
            return {}
        part = self.part or set()
        styles = {n.id: PART_STYLE for n in part} if len(part) < len(self.drawn_nodes()) else {}
        styles.update({n.id: READY_STYLE for n in part if exercise.ready(n.value)})
        styles.update({graph.of(v).id: REVEALED_STYLE for v in exercise.revealed})
        if self.asked is not None:
            styles[self.asked.id] = ASKING_STYLE
        return styles

    def step_text(self) -> str:
        if self.exercise is None:
            return "Backprop by hand: waiting for a drawn graph."
        if self.part is None:
            return "Click a node to choose the part to answer: it and every node between it and the output."
        if self.done:
            return (
                "Every grad found. Switch “Backprop by hand” off to compare with backward()'s, or Start over."
            )
        return (
            "Find each grad, output first: a node outlined green can be answered now (every node it "
            "feeds has its grad). Click it and type its grad: its local derivative × the grad above it."
        )

    # ------------------------------------------------------------ progress

    def drawn_nodes(self) -> list[GraphNode]:
        graph = self.graph
        return [n for n in graph.nodes if graph.is_drawn(n)] if graph is not None else []

    def progress(self) -> tuple[int, int]:
        """(grads found or revealed, grads to find) among the drawn nodes of the exercise."""
        if self.exercise is None or self.part is None:
            return 0, 0
        return sum(1 for n in self.part if n.value in self.exercise.answered), len(self.part)

    @property
    def done(self) -> bool:
        found, total = self.progress()
        return self.part is not None and found == total

    @property
    def score(self) -> int:
        return self.exercise.score if self.exercise is not None else 0

    def _show_status(self) -> None:
        if self.exercise is None:
            if self.pane.graph_message:  # no picture, and why (Graphviz missing, say)
                text = "No graph to practise on: " + self.pane.graph_message
            elif self.pane.graph is not None:
                text = "Waiting for the graph to be drawn…"
            else:
                text = "No graph to practise on yet."
            self.status_label.setText(text)
            return
        if self.part is None:
            self.status_label.setText(self.feedback or self._size_text())
            return
        found, total = self.progress()
        revealed = len(self.exercise.revealed)
        text = f"{found} of {total} grads · score {self.score} (right at the first try)"
        if revealed:
            text += f" · {revealed} revealed"
        if self.done:
            text = "Done! " + text
        self.status_label.setText(f"{text}\n{self.feedback}" if self.feedback else text)

    def _show_details(self) -> None:
        if self.exercise is None or self.part is None:
            self.details.setHtml(f"<p>{html.escape(self.status_label.text())}</p>")
            return
        found, total = self.progress()
        parts = [
            "<h3>Backprop by hand</h3>",
            f"<p>{found} of {total} grads found; score {self.score}.</p>",
            "<p>Each record's <b>grad ?</b> is for you to find. <span style='color:#2ca02c'><b>Green</b></span>: "
            "its grad can be found now. Click it: a box opens at the node.</p>",
        ]
        node = self.asked
        if node is not None:
            parts.append(self._node_html(node))
        self.details.setHtml("".join(parts))

    def _node_html(self, node: GraphNode) -> str:
        """The asked node: its data and what it feeds (with their grads, once found), never its own grad."""
        exercise = self.exercise
        rows = [f"<p><b>{html.escape(self.name(node))}</b>: data {format_number(node.value.data)}</p>"]
        users = self.pane.session.users_of(node)
        if not users:
            rows.append("<p>It is the output.</p>")
        for user in users:
            grad = exercise.answered.get(user.value)
            known = "grad ?" if grad is None else f"grad {format_number(grad)}"
            rows.append(f"<p>feeds {html.escape(self.name(user))} ({html.escape(user.op)}), {known}</p>")
        return "".join(rows)

    # ------------------------------------------------------------ answering

    def name(self, node: GraphNode) -> str:
        return node_name(self.graph, node) if self.graph is not None else node.id

    def open_at(self, node_id: str) -> None:
        """A click on a node: the popup at it (a question if its grad can be found now)."""
        exercise, graph = self.exercise, self.graph
        if not self.active or exercise is None or graph is None or not graph.has(node_id):
            return
        node = graph.node(node_id)
        if self.part is None:
            self.choose_part(node)
            return
        self.asked = node
        name = self.name(node)
        if node not in self.part:
            self.popup.tell(
                f"{name}: not in this exercise", "Only the part you chose; Start over to choose another."
            )
        elif node.value in exercise.answered:
            self.popup.tell(
                f"grad of {name} = {format_number(exercise.answered[node.value])}", "Found already."
            )
        elif exercise.ready(node.value):
            self.popup.ask(f"grad of {name} =")
        else:
            waiting = [
                self.name(u) for u in self.pane.session.users_of(node) if u.value not in exercise.answered
            ]
            self.popup.tell(
                f"grad of {name}: not yet",
                f"First the grad of {', '.join(waiting)}: the node{'s' if len(waiting) > 1 else ''} it feeds.",
            )
        self.pane.canvas.ensure_node_visible(node_id, self.pane.follow_scale)  # readable, to type beside it
        self.popup.show()
        self.popup.raise_()
        self._place_popup()
        if self.popup.asking:
            self.popup.answer_edit.setFocus()
        self.pane.render(keep_view=True)

    def answer(self, text: str) -> bool:
        """Check `text` as the grad of the node asked about; True if accepted."""
        node, exercise = self.asked, self.exercise
        if node is None or exercise is None or not self.popup.asking:  # nothing asked: nothing to check
            return False
        value = _number(text)
        if value is None:
            self.popup.show_hint("Type a number, like -2 or 0.5 (arithmetic such as 2*-3 works too).")
            return False
        verdict = exercise.answer(node.value, value)
        if not verdict.accepted:
            self.popup.show_hint(verdict.message)
            self._place_popup()
            self.changed.emit()
            return False
        self.feedback = (
            f"✓ {verdict.message} grad of {self.name(node)} = {format_number(exercise.truth[node.value])}"
        )
        self.close_popup()
        self.pane.render(keep_view=True)
        return True

    def reveal(self) -> None:
        node, exercise = self.asked, self.exercise
        if node is None or exercise is None:
            return
        grad = exercise.reveal(node.value)
        self.feedback = f"Revealed: grad of {self.name(node)} = {format_number(grad)} (not scored)."
        self.close_popup()
        self.pane.render(keep_view=True)

    def close_popup(self) -> None:
        had = self.asked is not None
        self.asked = None
        self.popup.hide()
        if had and self.pane.overlay is self:
            self.pane.render(keep_view=True)

    # ------------------------------------------------------------ keeping the popup at its node

    def _place_popup(self) -> None:
        """At its node; hidden while the node is scrolled out of sight (a box pointing nowhere)."""
        node, canvas = self.asked, self.pane.canvas
        rect = canvas.node_rect(node.id) if node is not None else None
        if rect is None:
            return
        on_screen = canvas.mapFromScene(rect).boundingRect()
        area = canvas.viewport().rect()
        in_sight = area.intersects(on_screen)
        if in_sight != self.popup.isVisible():
            self.popup.setVisible(in_sight)
        if in_sight:
            self.popup.place(on_screen, area.adjusted(2, 2, -2, -2))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The view zoomed, scrolled or was resized: the popup follows its node."""
        if event.type() in (QEvent.Type.Paint, QEvent.Type.Resize) and self.asked is not None:
            self._place_popup()
        return False


def _number(text: str) -> float | None:
    """The learner's answer: a number, or arithmetic on numbers (parsed by the engine, never eval)."""
    text = text.strip().replace("−", "-").replace("×", "*")
    if not text:
        return None
    try:
        root, _ = evaluate(text, {})
    except (ExpressionError, ArithmeticError, ValueError):
        return None
    return root.data if math.isfinite(root.data) else None

"""Predict, then see, in step-through backprop: guess the sign of a node's grad before the next Step.

A row under a `GraphPane`'s step bar: “Guess the sign of grad of [node] after the next
step: + − 0”. The node is the one clicked last, else the first operand of the node whose
rule runs next (the one that step gives gradient to). The guess waits in an
`engine.predictions.PredictionLog`; when the pane has taken exactly that step, the node's
grad (the engine's) settles it, and the row says hit or miss and the running hit rate.
Any other move (back, reset, another graph) withdraws it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QWidget

from engine.graph import GraphNode
from engine.predictions import SIGN_WORDS, SIGNS, sign_log, sign_of
from engine.teaching import format_number, node_name
from gui.graph.pane import GraphPane

BUTTON_TEXTS = {"+": "+", "-": "−", "0": "0"}


class StepGuess(QWidget):
    """Guesses of a grad's sign before each backprop step, with hits, misses and the hit rate."""

    settled = Signal(bool)  # a guess was settled: hit or not

    def __init__(self, pane: GraphPane):
        super().__init__(pane)
        self.pane = pane
        self.log = sign_log()
        self._waiting: tuple[object, int, GraphNode] | None = None  # (graph, position, node) of the guess
        self.question_label = QLabel(textFormat=Qt.TextFormat.PlainText)
        self.buttons: dict[str, QPushButton] = {}
        self._group = QButtonGroup(self, exclusive=False)  # a bound method, not a lambda holding self
        self._group.idClicked.connect(self._on_button_clicked)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 0, 6, 0)
        row.setSpacing(4)
        row.addWidget(QLabel("Predict:"))
        row.addWidget(self.question_label)
        for sign in SIGNS:
            button = QPushButton(BUTTON_TEXTS[sign], checkable=True, autoDefault=False)
            button.setFixedWidth(3 * self.fontMetrics().horizontalAdvance("+") + 18)
            button.setToolTip(f"Guess that this grad will be {SIGN_WORDS[sign]} after the next step")
            self._group.addButton(button, len(self.buttons))
            self.buttons[sign] = button
            row.addWidget(button)
        self.result_label = QLabel(textFormat=Qt.TextFormat.PlainText)
        self.result_label.setStyleSheet("color: #444444;")
        row.addWidget(self.result_label, 1)
        layout = pane.layout()
        layout.insertWidget(layout.indexOf(pane.step_label), self)
        pane.rendered.connect(self._on_rendered)
        pane.problem_shown.connect(self._on_rendered)
        self._on_rendered()

    def subject(self) -> GraphNode | None:
        """The node to guess about: the one clicked, else the first drawn operand of the next step's node."""
        session, graph = self.pane.session, self.pane.graph
        if graph is None or session.done:
            return None
        if session.selected is not None and graph.has(session.selected):
            return graph.node(session.selected)
        node = graph.nodes[len(graph.nodes) - 1 - session.position]
        drawn = [
            o for o in [*graph.operands(node), node] if graph.is_drawn(o)
        ]  # not a weight folded in its neuron
        return drawn[0] if drawn else None

    def _on_button_clicked(self, index: int) -> None:
        self.guess(list(self.buttons)[index])

    def guess(self, sign: str) -> None:
        """Guess `sign` for the subject's grad after the next step."""
        node = self.subject()
        if node is None:
            return
        self.log.guess(node_name(self.pane.graph, node), sign)
        self._waiting = (self.pane.graph, self.pane.session.position, node)
        self._show_buttons(sign)
        self.result_label.setText(f"guessed {SIGN_WORDS[sign]}: now Step ▶")

    def _on_rendered(self, *_args) -> None:
        waiting, session = self._waiting, self.pane.session
        if waiting is not None:
            graph, position, node = waiting
            if graph is self.pane.graph and session.stepping and session.position == position + 1:
                self._settle(node)
            elif graph is not self.pane.graph or session.position != position:
                self._waiting = None  # that step will not run: the guess is withdrawn
                self.log.withdraw()
                self._show_buttons(None)
                self.result_label.setText(self.log.summary())
        self._show_question()

    def _settle(self, node: GraphNode) -> None:
        self._waiting = None
        grad = node.value.grad
        prediction = self.log.settle(sign_of(grad))
        self._show_buttons(None)
        verdict = "✓ hit" if prediction.hit else "✗ miss"
        self.result_label.setText(
            f"{verdict}: grad of {prediction.subject} is {format_number(grad)} · {self.log.summary()}"
        )
        self.settled.emit(prediction.hit)

    def _show_question(self) -> None:
        node = self.subject()
        usable = node is not None and self.pane.overlay is None and self.pane.svg_graph is not None
        for button in self.buttons.values():
            button.setEnabled(usable)
        if node is None:
            waiting = self.pane.graph is not None and not self.pane.session.done
            self.question_label.setText("click a node to guess the sign of its grad" if waiting else "")
            return
        name = node_name(self.pane.graph, node)
        name = name if len(name) <= 24 else name[:23] + "…"
        self.question_label.setText(f"sign of grad of {name} after the next step?")

    def _show_buttons(self, checked: str | None) -> None:
        for sign, button in self.buttons.items():
            button.setChecked(sign == checked)

"""Predict, then see, in training: before Step, guess whether the loss will go down.

A small row for the Training panel: “Loss down at the next step? ↓ yes / no”. The guess
waits in an `engine.predictions.PredictionLog` until the window hands over the next
step's result (`see`): the loss it reports, compared with the step before's, settles it.
A run's first step has no loss before it, so a guess made then waits for the second.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QWidget

from engine.predictions import loss_log, loss_outcome
from engine.teaching import format_number
from engine.train import StepResult
from gui.widgets.style import note_label, with_note_below

CHOICES = (
    ("down", "↓ yes", "Guess that the next step's loss is lower than this one's"),
    ("not down", "no", "Guess that the next step's loss is not lower (equal or higher)"),
)


class LossGuess(QWidget):
    """Guesses of “the loss goes down” before training steps, with hits, misses and the hit rate."""

    settled = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.log = loss_log()
        self.last_loss: float | None = None  # the loss of the last step seen, in this run
        self.last_step = 0
        self.buttons: dict[str, QPushButton] = {}
        self._group = QButtonGroup(self, exclusive=False)  # a bound method, not a lambda holding self
        self._group.idClicked.connect(self._on_button_clicked)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(QLabel("Predict: loss down?"))
        for outcome, text, tip in CHOICES:
            button = QPushButton(text, checkable=True, autoDefault=False, toolTip=tip)
            self._group.addButton(button, len(self.buttons))
            self.buttons[outcome] = button
            row.addWidget(button)
        self.result_label = note_label("#555555")
        with_note_below(self, row, self.result_label)

    def _on_button_clicked(self, index: int) -> None:
        self.guess(list(self.buttons)[index])

    def guess(self, outcome: str) -> None:
        """Guess `outcome` ("down" or "not down") for the next step's loss."""
        self.log.guess(f"step {self.last_step + 1}", outcome)
        self._show_buttons(outcome)
        self._say(f"Guessed: {'down' if outcome == 'down' else 'not down'}. Now Step.")

    def see(self, results: Sequence[StepResult]) -> None:
        """Steps that ran (in order): the first after a guess settles it."""
        for result in results:
            if result.step <= 1:
                self.last_loss = None  # a new run: nothing before its first step
            before, self.last_loss, self.last_step = self.last_loss, result.loss, result.step
            if self.log.pending is None:
                continue
            if before is None:
                self._say("The run's first step has no loss before it: your guess is for the next one.")
                continue
            outcome = loss_outcome(before, result.loss)
            prediction = self.log.settle(outcome)
            self._show_buttons(None)
            verdict = "✓ hit" if prediction.hit else "✗ miss"
            self._say(
                f"{verdict}: loss {format_number(before)} → {format_number(result.loss)} "
                f"({outcome}) · {self.log.summary()}"
            )
            self.settled.emit(prediction.hit)

    def _say(self, text: str) -> None:
        self.result_label.setText(text)
        self.result_label.setVisible(bool(text))

    def _show_buttons(self, checked: str | None) -> None:
        for outcome, button in self.buttons.items():
            button.setChecked(outcome == checked)

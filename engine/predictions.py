"""Predict, then see: the learner's guesses before a step, what the step did, and the hit rate.

Two kinds of guess, each settled by what the engine computed, never by a stored answer:

* before a step of step-through backprop, the sign of a chosen node's grad after that step
  ("+", "-" or "0");
* before a training step, whether the loss it reports will be lower than the one before.

A `PredictionLog` keeps the guesses in order; a guess waits (`pending`) until the step it
was made for has run, then is settled as a hit or a miss. Pure Python, no Qt.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

SIGNS = ("+", "-", "0")
LOSS_OUTCOMES = ("down", "not down")
SIGN_WORDS = {"+": "positive", "-": "negative", "0": "zero"}


def sign_of(number: float) -> str:
    """ "+", "-" or "0" ("0" also for nan: no direction to guess)."""
    if number > 0:
        return "+"
    if number < 0:
        return "-"
    return "0"


def loss_outcome(before: float, after: float) -> str:
    """ "down" if `after` is lower than `before`, else "not down" (equal, higher, or not a number)."""
    if math.isfinite(before) and math.isfinite(after) and after < before:
        return "down"
    return "not down"


@dataclass
class Prediction:
    """One guess: about what (`subject`, e.g. a node's name), the guess, and once settled, what happened."""

    subject: str
    guess: str
    actual: str | None = None  # None while the step has not run

    @property
    def settled(self) -> bool:
        return self.actual is not None

    @property
    def hit(self) -> bool:
        return self.actual == self.guess


@dataclass
class PredictionLog:
    """Guesses of one kind (`choices`), in order; at most one waits for its step at a time."""

    choices: tuple[str, ...]
    predictions: list[Prediction] = field(default_factory=list)

    @property
    def pending(self) -> Prediction | None:
        """The guess waiting for its step, if any."""
        last = self.predictions[-1] if self.predictions else None
        return last if last is not None and not last.settled else None

    def guess(self, subject: str, guess: str) -> Prediction:
        """Record a guess for the next step; it replaces a guess still waiting (the learner changed their mind)."""
        if guess not in self.choices:
            raise ValueError(f"a guess is one of {', '.join(self.choices)}, not {guess!r}")
        if self.pending is not None:
            self.predictions.pop()
        prediction = Prediction(subject, guess)
        self.predictions.append(prediction)
        return prediction

    def settle(self, actual: str) -> Prediction | None:
        """The step has run and `actual` is what happened: the waiting guess is a hit or a miss."""
        if actual not in self.choices:
            raise ValueError(f"an outcome is one of {', '.join(self.choices)}, not {actual!r}")
        prediction = self.pending
        if prediction is not None:
            prediction.actual = actual
        return prediction

    def withdraw(self) -> None:
        """Forget the waiting guess (its step will not run: the graph changed, step-through was reset)."""
        if self.pending is not None:
            self.predictions.pop()

    @property
    def settled(self) -> list[Prediction]:
        return [p for p in self.predictions if p.settled]

    @property
    def hits(self) -> int:
        return sum(p.hit for p in self.settled)

    @property
    def hit_rate(self) -> float | None:
        """Hits over settled guesses; None before the first one is settled."""
        settled = self.settled
        return self.hits / len(settled) if settled else None

    def summary(self) -> str:
        """ "3 of 4 right (75%)", or "" before any guess was settled."""
        settled = len(self.settled)
        if not settled:
            return ""
        return f"{self.hits} of {settled} right ({round(100 * self.hits / settled)}%)"


def sign_log() -> PredictionLog:
    """Guesses of a grad's sign before a backprop step."""
    return PredictionLog(SIGNS)


def loss_log() -> PredictionLog:
    """Guesses of whether the loss goes down at a training step."""
    return PredictionLog(LOSS_OUTCOMES)

"""The lessons: ready-made runs that show one idea of the lecture each.

A lesson is a list of sessions trained one after another and laid over each
other on the loss plot, so that a learner compares them without setting up
anything. Qt-free: the window plays them, and tests train them headless.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from engine.data import lecture, moons
from engine.session import Session
from engine.spec import ModelSpec
from engine.train import TrainSettings


@dataclass(frozen=True)
class Lesson:
    title: str
    runs: tuple[Callable[[], Session], ...]  # each makes a fresh session to train, in turn


def moons_demo(**settings) -> Session:
    """micrograd's demo: moons, MLP 2-16-16-1 (ReLU, linear output), hinge loss + 1e-4 L2."""
    base = dict(learning_rate=0.1, steps=100, loss="hinge", l2=1e-4)
    model = ModelSpec([16, 16], ["relu", "relu"], "linear")
    return Session(moons(100, 0.1, 0), model, TrainSettings(**{**base, **settings}))


def lecture_run(**settings) -> Session:
    """The lecture's MLP(3, [4, 4, 1]) on its four samples."""
    return Session(lecture(), ModelSpec(), TrainSettings(**{"steps": 60, **settings}))


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "The lecture's example: MLP(3, [4, 4, 1]) on four samples",
        (lambda: lecture_run(steps=100),),
    ),
    Lesson(
        "Forgetting zero_grad: the same run with and without it",
        (moons_demo, lambda: moons_demo(zero_grad=False)),
    ),
    Lesson(
        "A learning rate that overshoots: 0.05 and then 1.0",
        (lambda: lecture_run(learning_rate=0.05), lambda: lecture_run(learning_rate=1.0)),
    ),
    Lesson(
        "micrograd's moons demo, with its decaying learning rate",
        (lambda: moons_demo(learning_rate=1.0, decay=True),),
    ),
)

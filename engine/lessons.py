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
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.split import TestSplit


@dataclass(frozen=True)
class Lesson:
    title: str
    runs: tuple[Callable[[], Session], ...]  # each makes a fresh session to train, in turn
    text: str  # what to look at while it runs, shown beside the plots


def moons_demo(**settings) -> Session:
    """micrograd's demo: moons, MLP 2-16-16-1 (ReLU, linear output), hinge loss + 1e-4 L2."""
    base = dict(learning_rate=0.1, steps=100, loss="hinge", l2=1e-4)
    model = ModelSpec([16, 16], ["relu", "relu"], "linear")
    return Session(moons(100, 0.1, 0), model, TrainSettings(**{**base, **settings}))


def overfitting_run() -> Session:
    """A big network (MLP 2-16-16-1, 337 parameters) on 20 noisy moons points, 30% held out."""
    model = ModelSpec([16, 16], ["tanh", "tanh"], "linear")
    settings = TrainSettings(learning_rate=0.05, steps=600, loss="mse")
    return Session(moons(20, 0.4, 1), model, settings, split=TestSplit(0.3, 0))


def lecture_run(**settings) -> Session:
    """The lecture's MLP(3, [4, 4, 1]) on its four samples."""
    return Session(lecture(), ModelSpec(), TrainSettings(**{"steps": 60, **settings}))


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        "The lecture's example: MLP(3, [4, 4, 1]) on four samples",
        (lambda: lecture_run(steps=100),),
        "The lecture's network learns its four targets (1, -1, -1, 1): the loss falls towards 0 "
        "and the gradient norm with it. Open the Computation graph to see every number of one sample.",
    ),
    Lesson(
        "Forgetting zero_grad: the same run with and without it",
        (lambda: moons_demo(steps=300), lambda: moons_demo(steps=300, zero_grad=False)),
        "micrograd's moons demo, 300 steps, first with zero_grad and then without. Watch the gradient "
        "norm: without zero_grad every backward() adds to the grads of all the steps before, so the norm "
        "grows step after step (to about 24) and the updates overshoot: the loss dips, then climbs past 4. "
        "With zero_grad the norm falls to about 0.03 and so does the loss. In Diagnostics, pick a weight to "
        "see what each backward() added and the running sum the grad holds.",
    ),
    Lesson(
        "Forgetting zero_grad on the lecture's data: a loss of 0 that is still a bug",
        (lambda: lecture_run(steps=100, zero_grad=False),),
        "Without zero_grad the loss reaches exactly 0, and it is still a bug. The outputs saturate at "
        "exactly ±1, where the true gradient is 0, but the grads still hold the sum of every earlier step "
        "(norm 16.5, stuck), so each step moves every weight by the same stale amount: the weights grow "
        "without end (their length goes from 3.6 to 80 in 100 steps). The loss is 0 only because tanh "
        "cannot go past ±1; on new data this network is wildly overconfident.",
    ),
    Lesson(
        "A learning rate that overshoots: 0.05 and then 1.0",
        (lambda: lecture_run(learning_rate=0.05), lambda: lecture_run(learning_rate=1.0)),
        "The same network twice: with learning rate 0.05 the loss falls smoothly; with 1.0 each step "
        "jumps past the minimum, and the loss jumps up and down on its way.",
    ),
    Lesson(
        "micrograd's moons demo, with its decaying learning rate",
        (lambda: moons_demo(learning_rate=1.0, decay=True),),
        "micrograd's demo as it ships: learning rate 1.0 decaying to 0.1 over 100 steps. Watch the "
        "decision boundary bend around the two moons.",
    ),
    Lesson(
        "Overfitting: a big network on 20 points, with a held-out test set",
        (overfitting_run,),
        "MLP 2-16-16-1 (337 parameters) trains on 14 noisy moons points; 6 more are held out as a test "
        "set (hollow on the Decision boundary, dashed on the Loss tab). The training loss falls at every "
        "one of the 600 steps, from 0.51 to 0.066, and training accuracy reaches 100% at step 252. The "
        "test loss falls only until step 14 (0.68 to 0.66), then rises at every step after, to 3.18: "
        "the network bends its boundary around the noise of 14 points, and test accuracy never gets "
        "past 67% (4 of 6). Judged by its training loss the last network is the best; the test set "
        "shows the one at step 14 generalised better.",
    ),
)

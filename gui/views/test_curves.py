"""The held-out test set's curves on the Loss tab: dashed, in the colour of their run's training curve.

Kept apart from loss_plot.py, which draws the training curves: these are two more lines per
run (test loss, test accuracy) that follow the same runs, fades and limits. A training loss
that keeps falling while the dashed test loss turns up is overfitting.
"""

from __future__ import annotations

import math

from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from engine.run_history import Run

TEST_DASHES = (0, (4, 2))
TEST_LEGEND = "dashed: held-out test set"


def add_test_lines(loss_axes: Axes, accuracy_axes: Axes, style: dict) -> tuple[Line2D, Line2D]:
    """Empty dashed lines for a run's test loss and test accuracy, styled like its training lines."""
    dashed = {**style, "linestyle": TEST_DASHES, "linewidth": style.get("linewidth", 2.0) * 0.8}
    (loss,) = loss_axes.plot([], [], **dashed)
    (accuracy,) = accuracy_axes.plot([], [], **dashed)
    return loss, accuracy


def show_test_points(loss: Line2D, accuracy: Line2D, run: Run) -> None:
    """Put the run's test points in its dashed lines (NaN, a gap, where a step had no test set)."""
    loss.set_data(run.steps, run.test_losses)
    accuracy.set_data(run.steps, [math.nan if a is None else a for a in run.test_accuracies])


def test_losses(runs: list[Run]) -> list[float]:
    """The finite test losses of these runs, for the loss axis's limits."""
    return [v for run in runs for v in run.test_losses if math.isfinite(v)]


def test_legend_handle(color: str) -> Line2D:
    """A legend entry saying what the dashed lines are."""
    return Line2D([], [], color=color, linestyle=TEST_DASHES, linewidth=1.6, label=TEST_LEGEND)

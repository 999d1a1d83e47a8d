"""The Loss tab's legend sits above the loss axes: no curve is ever under it, with 1 to 6 runs."""

from __future__ import annotations

import pytest

from engine.run_history import MAX_RUNS
from engine.train import StepResult
from gui.views.loss_plot import LossPlot

LABEL = "lr 0.1 · zero_grad {} · hinge · L2 0.0001 · MLP 2-16-16-1 · run {}"


def rising(steps: int) -> list[StepResult]:
    """A loss that climbs to its highest at the last step: the top right corner."""
    return [
        StepResult(step=k, loss=0.1 * k, accuracy=0.5, learning_rate=0.1, grad_norm=1.0)
        for k in range(1, steps + 1)
    ]


def laid_out(qtbot, size: tuple[int, int], runs: int) -> LossPlot:
    plot = LossPlot()
    plot.resize(*size)
    qtbot.addWidget(plot)
    plot.show()
    qtbot.waitExposed(plot)
    for index in range(runs):
        plot.start_run(LABEL.format("OFF" if index % 2 else "on", index + 1), total_steps=50)
        plot.add_results(rising(50))
    plot.canvas.draw()
    return plot


def legend_box(plot: LossPlot):
    legend = plot.loss_axes.get_legend()
    return legend.get_window_extent(plot.canvas.get_renderer())


@pytest.mark.parametrize("runs", [1, 2, MAX_RUNS])
@pytest.mark.parametrize("size", [(940, 590), (600, 520)])  # the tab at 1366x768, and a narrow window
def test_the_legend_is_above_the_loss_axes_and_inside_the_figure(qtbot, size, runs):
    plot = laid_out(qtbot, size, runs)
    box, axes = legend_box(plot), plot.loss_axes.bbox
    assert len(plot.loss_axes.get_legend().get_texts()) == runs
    assert box.y0 >= axes.y1  # nothing of the axes, where the curves are, under it
    assert box.y1 <= plot.figure.bbox.y1 and box.x0 >= 0  # and all of it on the figure
    assert axes.height > 0.25 * plot.figure.bbox.height  # the loss still has room


def test_a_narrower_window_puts_the_legend_in_fewer_columns_and_keeps_it_clear(qtbot):
    plot = laid_out(qtbot, (1200, 600), MAX_RUNS)
    wide_height = legend_box(plot).height
    plot.resize(560, 600)
    qtbot.waitUntil(lambda: plot.figure.bbox.width < 600)
    plot.canvas.draw()
    box = legend_box(plot)
    assert box.height > wide_height  # more rows
    assert box.y0 >= plot.loss_axes.bbox.y1


def test_clearing_the_runs_gives_the_room_back(qtbot):
    plot = laid_out(qtbot, (940, 590), 3)
    top_with_legend = plot.loss_axes.bbox.y1
    plot.clear_earlier_runs()
    plot.reset_current()
    plot.canvas.draw()
    assert plot.loss_axes.get_legend() is None
    assert plot.loss_axes.bbox.y1 > top_with_legend

"""Live plots' axis limits, from the data alone (no figure needed)."""

import math

import pytest

from gui.views.axis_limits import HEADROOM, LOG_HEADROOM, grown, linear_fit, log_fit


def test_linear_fit_starts_at_zero_unless_the_data_goes_below():
    assert linear_fit([]) is None
    assert linear_fit([0.5, 2.0]) == (0.0, pytest.approx(2.1))
    assert linear_fit([-1.0, 0.0]) == (-1.0, 1.0)  # nothing above 0: the axis still has a height


def test_log_fit_pads_by_a_factor_and_keeps_zeros_at_the_bottom_edge():
    assert log_fit([], (1e-3, 1.0)) is None
    assert log_fit([0.0, 0.0], (1e-3, 1.0)) == (1e-3, 1.0)
    assert log_fit([0.0, 0.1, 4.0], (1e-3, 1.0)) == (0.05, 8.0)


def test_limits_grow_only_where_the_data_left_them():
    assert grown((0.01, 10.0), None, log=True) == (0.01, 10.0)
    assert grown((0.01, 10.0), (0.1, 5.0), log=True) == (0.01, 10.0)  # inside: unchanged
    assert grown((0.01, 10.0), (0.1, 20.0), log=True) == (0.01, 20.0 * LOG_HEADROOM)
    assert grown((0.01, 10.0), (0.001, 5.0), log=True) == (0.001 / LOG_HEADROOM, 10.0)
    low, high = grown((0.0, 1.0), (0.0, 2.0), log=False)
    assert low == 0.0 and high == pytest.approx(2.0 + HEADROOM * 2.0)


@pytest.mark.parametrize("log", [False, True])
def test_extreme_values_give_finite_limits_a_log_axis_can_show(log):
    # a run about to diverge (or a session file) can hold 1.7e308, and a norm can be 5e-324
    values = [5e-324, 1.0, 1.7e308]
    fitted = log_fit(values, (1e-3, 1.0)) if log else linear_fit(values)
    limits = [fitted, grown((0.5, 2.0), fitted, log=log), grown((1e-3, 1.0), (1e250, 1e308), log=log)]
    if log:
        limits.append(log_fit([1e308], (1e-3, 1.0)))  # both ends past the largest limit
        limits.append(log_fit([5e-324], (1e-3, 1.0)))
    for low, high in limits:
        assert math.isfinite(low) and math.isfinite(high) and low < high
        assert low > 0 or not log


def test_the_loss_plot_draws_and_exports_extreme_values(qtbot, tmp_path):
    from engine.train import StepResult
    from gui.views.loss_plot import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(800, 600)
    plot.start_run("about to diverge", total_steps=4)
    extreme = [(1.0, 1.0), (math.inf, math.inf), (1e308, 1e308), (1e-320, 5e-324)]
    plot.add_results([StepResult(s, loss, None, 0.1, norm) for s, (loss, norm) in enumerate(extreme, 1)])
    plot.set_log_scale(True)
    plot.export_png(tmp_path / "loss.png")  # a full draw, with every limit finite
    for ax in (plot.loss_axes, plot.grad_norm_axes):
        low, high = ax.get_ylim()
        assert 0 < low < high < math.inf

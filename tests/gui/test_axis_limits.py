"""Live plots' axis limits, from the data alone (no figure needed)."""

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

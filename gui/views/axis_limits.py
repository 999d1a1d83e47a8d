"""Axis limits for live plots, from the data alone: cheaper than matplotlib's relim(), and in
control of zeros on log axes. While a run is live its limits only grow, with headroom, so that
most updates leave them alone and the plot can be blitted (gui/views/loss_plot.py).
"""

from __future__ import annotations

# how much more than the data needs a grown limit gets: a fraction of the span on a linear
# axis, a factor on a log axis
HEADROOM = 0.2
LOG_HEADROOM = 4.0
# no limit goes past these: a finite loss or norm of 1e308 (a run about to diverge, or a
# session file) must not make an infinite limit, nor a tiny one a log limit of 0 (and log
# ticks are computed a few decades past the limits: 1e300 would overflow there)
LARGEST = 1e200
SMALLEST_LOG = 1e-200


def linear_fit(values: list[float]) -> tuple | None:
    """From 0 (or the lowest value, if below) to a little above the highest."""
    if not values:
        return None
    top = max(values)
    return _bounded((min(0.0, min(values)), (top * 1.05 if top > 0 else 1.0)), log=False)


def log_fit(values: list[float], empty: tuple) -> tuple | None:
    """Half the lowest positive value to twice the highest; a 0 is drawn at the bottom edge
    (hinge loss does reach exactly 0), and with nothing positive the axis shows `empty`."""
    if not values:
        return None
    top = max(values)
    if top <= 0:
        return empty
    return _bounded((min(v for v in values if v > 0) / 2, top * 2), log=True)


def grown(last: tuple, fitted: tuple | None, log: bool) -> tuple:
    """`last` y limits, grown past `fitted` with headroom where the data left them."""
    if fitted is None:
        return last
    y0, y1 = last
    if log:
        if fitted[0] < y0:
            y0 = fitted[0] / LOG_HEADROOM
        if fitted[1] > y1:
            y1 = fitted[1] * LOG_HEADROOM
        return _bounded((y0, y1), log=True)
    span = max(fitted[1], y1) - min(fitted[0], y0)
    if fitted[0] < y0:
        y0 = fitted[0] - HEADROOM * span
    if fitted[1] > y1:
        y1 = fitted[1] + HEADROOM * span
    return _bounded((y0, y1), log=False)


def _bounded(limits: tuple, log: bool) -> tuple:
    """`limits` kept within what an axis can show: finite, and above 0 on a log axis."""
    low, high = limits
    if log:
        low, high = max(low, SMALLEST_LOG), min(max(high, LOG_HEADROOM * SMALLEST_LOG), LARGEST)
        return (low if low < high else high / LOG_HEADROOM), high
    return max(low, -LARGEST), min(high, LARGEST)


def set_limits(ax, xlim: tuple | None, ylim: tuple | None) -> None:
    """Set limits only if they changed (setting them costs callbacks and marks the axes stale)."""
    if xlim is not None and tuple(ax.get_xlim()) != tuple(xlim):
        ax.set_xlim(*xlim)
    if ylim is not None and tuple(ax.get_ylim()) != tuple(ylim):
        ax.set_ylim(*ylim)

"""The Loss tab: live curves, earlier runs kept faded, log scale, and atomic exports."""

from __future__ import annotations

import csv
import io
import math
import warnings

import pytest
from PySide6.QtWidgets import QApplication

from engine.train import StepResult
from gui.views.loss_plot import EARLIER_ALPHA, EMPTY_HINT, MAX_RUNS, LossPlot


def result(step: int, loss: float, accuracy: float | None = 0.5, grad_norm: float = 1.0) -> StepResult:
    return StepResult(step=step, loss=loss, accuracy=accuracy, learning_rate=0.05, grad_norm=grad_norm)


@pytest.fixture
def plot(qtbot) -> LossPlot:
    widget = LossPlot()
    widget.resize(800, 600)
    qtbot.addWidget(widget)
    return widget


def legend_texts(plot: LossPlot) -> list[str]:
    legend = plot.loss_axes.get_legend()
    return [] if legend is None else [t.get_text() for t in legend.get_texts()]


def test_results_go_into_the_current_runs_lines(plot):
    plot.start_run("lr 0.05 · zero_grad on · sse")
    plot.add_results([result(1, 2.0, 0.25), result(2, 1.5, 0.5)])
    plot.add_results([result(3, 0.75, None)])
    run = plot.runs[-1]
    assert (run.steps, run.losses, run.accuracies) == ([1, 2, 3], [2.0, 1.5, 0.75], [0.25, 0.5, None])
    assert list(plot.lines_of(run).loss.get_xdata()) == [1, 2, 3]
    assert list(plot.lines_of(run).loss.get_ydata()) == [2.0, 1.5, 0.75]
    accuracy = list(plot.lines_of(run).accuracy.get_ydata())
    assert accuracy[:2] == [0.25, 0.5] and accuracy[2] != accuracy[2]  # None is drawn as a gap (NaN)
    # artists are updated in place, not plotted again
    assert len(plot.loss_axes.lines) == 1 and len(plot.accuracy_axes.lines) == 1
    low, high = plot.loss_axes.get_ylim()
    assert low <= 0.75 and high >= 2.0
    assert plot.loss_axes.get_xlim()[1] >= 3


def test_empty_plot_shows_a_hint_until_the_first_result(plot):
    hints = [t for t in plot.loss_axes.texts if t.get_text() == EMPTY_HINT]
    assert len(hints) == 1 and hints[0].get_visible()
    plot.start_run("first")
    assert hints[0].get_visible()
    plot.add_results([result(1, 1.0)])
    assert not hints[0].get_visible()
    plot.reset_current()
    assert hints[0].get_visible()


def test_results_without_a_run_start_one(plot):
    plot.add_results([result(1, 1.0)])
    assert len(plot.runs) == 1 and plot.runs[0].steps == [1]


def test_a_new_run_keeps_the_previous_one_faded_with_its_label(plot):
    plot.start_run("lr 0.05 · zero_grad on · sse")
    plot.add_results([result(1, 1.0), result(2, 0.5)])
    plot.start_run("lr 0.05 · zero_grad off · sse")
    plot.add_results([result(1, 1.0), result(2, 0.9)])
    earlier, current = plot.runs
    assert earlier.label == "lr 0.05 · zero_grad on · sse" and earlier.losses == [1.0, 0.5]
    assert plot.lines_of(earlier).loss.get_alpha() == pytest.approx(EARLIER_ALPHA)
    assert plot.lines_of(earlier).accuracy.get_alpha() == pytest.approx(EARLIER_ALPHA)
    assert plot.lines_of(current).loss.get_alpha() is None
    assert plot.lines_of(earlier).loss.get_linewidth() < plot.lines_of(current).loss.get_linewidth()
    assert plot.lines_of(earlier).loss.get_color() != plot.lines_of(current).loss.get_color()
    assert legend_texts(plot) == ["lr 0.05 · zero_grad on · sse", "lr 0.05 · zero_grad off · sse"]
    assert plot.clear_button.isEnabled()


def test_earlier_runs_get_distinct_colours(plot):
    for k in range(4):
        plot.start_run(f"run {k}")
        plot.add_results([result(1, 1.0)])
    colours = [plot.lines_of(run).loss.get_color() for run in plot.runs]
    assert len(set(colours)) == 4


def test_starting_a_run_before_any_result_replaces_the_empty_run(plot):
    plot.start_run("typo")
    plot.start_run("lr 0.1 · zero_grad on · hinge")
    assert [run.label for run in plot.runs] == ["lr 0.1 · zero_grad on · hinge"]
    plot.add_results([result(1, 1.0)])
    assert legend_texts(plot) == ["lr 0.1 · zero_grad on · hinge"]


def test_at_most_max_runs_are_kept_dropping_the_oldest(plot):
    for k in range(MAX_RUNS + 2):
        plot.start_run(f"run {k}")
        plot.add_results([result(1, 1.0 + k)])
    labels = [run.label for run in plot.runs]
    assert labels == [f"run {k}" for k in range(2, MAX_RUNS + 2)]
    assert len(plot.loss_axes.lines) == MAX_RUNS and len(plot.accuracy_axes.lines) == MAX_RUNS
    assert legend_texts(plot) == labels


def test_reset_current_keeps_earlier_runs(plot):
    plot.start_run("a")
    plot.add_results([result(1, 1.0)])
    plot.start_run("b")
    plot.add_results([result(1, 2.0), result(2, 1.0)])
    plot.reset_current()
    earlier, current = plot.runs
    assert earlier.steps == [1] and current.steps == []
    assert len(plot.lines_of(current).loss.get_xdata()) == 0
    assert legend_texts(plot) == ["a"]


def test_clear_button_removes_earlier_runs_only(plot):
    for label in ("a", "b", "c"):
        plot.start_run(label)
        plot.add_results([result(1, 1.0)])
    plot.clear_button.click()
    assert [run.label for run in plot.runs] == ["c"]
    assert len(plot.loss_axes.lines) == 1
    assert legend_texts(plot) == ["c"]
    assert not plot.clear_button.isEnabled()


def test_log_checkbox_switches_the_loss_axis(plot):
    plot.start_run("a")
    plot.add_results([result(1, 10.0), result(2, 0.01)])
    assert plot.loss_axes.get_yscale() == "linear"
    plot.log_checkbox.click()
    assert plot.loss_axes.get_yscale() == "log"
    low, high = plot.loss_axes.get_ylim()
    assert 0 < low <= 0.01 and high >= 10.0
    plot.log_checkbox.click()
    assert plot.loss_axes.get_yscale() == "linear"


def test_set_log_scale_updates_the_checkbox(plot):
    plot.set_log_scale(True)
    assert plot.log_checkbox.isChecked() and plot.loss_axes.get_yscale() == "log"
    plot.set_log_scale(False)
    assert not plot.log_checkbox.isChecked() and plot.loss_axes.get_yscale() == "linear"


@pytest.mark.parametrize("losses", [[1.0, 0.5, 0.0, 0.0], [0.0, 0.0]])
def test_zero_loss_on_a_log_axis_draws_without_warnings(plot, losses):
    # hinge loss reaches exactly 0; a log axis must not warn, crash or lose its limits over it
    plot.set_log_scale(True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot.start_run("hinge")
        plot.add_results([result(i, loss) for i, loss in enumerate(losses, 1)])
        plot.canvas.draw()
        plot.set_log_scale(False)
        plot.canvas.draw()
        plot.set_log_scale(True)
        plot.canvas.draw()
    low, high = plot.loss_axes.get_ylim()
    assert 0 < low < high


def test_accuracy_message_when_the_run_has_none(plot):
    message = plot.accuracy_axes.texts[0]
    plot.start_run("regression")
    plot.add_results([result(1, 1.0, None)])
    assert message.get_visible() and "accuracy" in message.get_text().lower()
    plot.start_run("classes")
    plot.add_results([result(1, 1.0, 0.75)])
    assert not message.get_visible()


def test_the_gradient_norm_panel_overlays_runs_on_a_log_axis(plot):
    plot.start_run("zero_grad on")
    plot.add_results([result(s, 1.0 / s, 0.5, 2.0 / s) for s in range(1, 11)])
    plot.start_run("zero_grad OFF")
    plot.add_results([result(s, 1.0, 0.5, 2.0 * s) for s in range(1, 11)])
    earlier, current = plot.runs
    axes = plot.grad_norm_axes
    assert axes.get_yscale() == "log" and plot.loss_axes.get_yscale() == "linear"
    assert "gradient norm" in axes.get_ylabel() and "log" in axes.get_ylabel()
    assert axes.get_shared_x_axes().joined(axes, plot.loss_axes)
    assert list(plot.lines_of(current).grad_norm.get_ydata()) == [2.0 * s for s in range(1, 11)]
    assert list(plot.lines_of(earlier).grad_norm.get_ydata()) == [2.0 / s for s in range(1, 11)]
    faded, bold = plot.lines_of(earlier).grad_norm, plot.lines_of(current).grad_norm
    assert faded.get_alpha() == pytest.approx(EARLIER_ALPHA) and bold.get_alpha() is None
    assert faded.get_linewidth() < bold.get_linewidth()
    assert faded.get_color() == plot.lines_of(earlier).loss.get_color() != bold.get_color()
    low, high = axes.get_ylim()
    assert 0 < low <= 0.2 and high >= 20.0
    assert len(axes.lines) == 2


def test_steps_without_a_gradient_norm_are_gaps_and_a_run_without_any_says_so(plot):
    message = plot.grad_norm_axes.texts[0]
    plot.start_run("mixed")
    plot.add_results([result(1, 1.0, 0.5, 3.0), result(2, 0.9, 0.5, math.nan), result(3, 0.8, 0.5, 1.0)])
    norms = list(plot.lines_of(plot.runs[-1]).grad_norm.get_ydata())
    assert norms[0] == 3.0 and math.isnan(norms[1]) and norms[2] == 1.0
    assert not message.get_visible()
    plot.start_run("an old session")
    plot.add_results([result(s, 1.0, 0.5, math.nan) for s in range(1, 4)])
    assert message.get_visible() and "gradient norm" in message.get_text()
    assert all(math.isfinite(v) and v > 0 for v in plot.grad_norm_axes.get_ylim())


def test_panels_are_ordered_by_height_loss_then_norm_then_accuracy(plot, qtbot):
    plot.resize(900, 560)
    plot.show()
    qtbot.waitExposed(plot)
    plot.canvas.draw()
    heights = [ax.bbox.height for ax in (plot.loss_axes, plot.grad_norm_axes, plot.accuracy_axes)]
    assert heights == sorted(heights, reverse=True) and heights[-1] > 60
    tops = [ax.bbox.y1 for ax in (plot.loss_axes, plot.grad_norm_axes, plot.accuracy_axes)]
    assert tops == sorted(tops, reverse=True)  # loss on top, accuracy at the bottom


def test_a_zero_gradient_norm_draws_without_warnings(plot):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plot.start_run("converged")
        plot.add_results([result(1, 0.5, 0.5, 0.5), result(2, 0.0, 1.0, 0.0)])
        plot.canvas.draw()
    low, high = plot.grad_norm_axes.get_ylim()
    assert 0 < low < 0.5 < high


def test_export_csv_round_trips_at_repr_precision(plot, tmp_path):
    plot.start_run("lr 0.05 · zero_grad on · sse")
    plot.add_results([result(1, 0.1 + 0.2, 1 / 3, 0.7), result(2, 1e-300, None, 1 / 7)])
    plot.start_run('quote "and, comma"')
    plot.add_results([result(1, 2 / 3, 0.0, math.nan)])  # an older session's step: no norm recorded
    path = tmp_path / "loss.csv"
    plot.export_csv(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0] == [
        "run",
        "label",
        "step",
        "loss",
        "accuracy",
        "grad_norm",
        "r2",
        "test_loss",
        "test_accuracy",
    ]

    def number(cell: str) -> float | None:
        return None if cell == "" else float(cell)

    parsed = [
        (int(run), label, int(step), float(loss), number(acc), number(norm))
        for run, label, step, loss, acc, norm, *no_r2_nor_test_set in rows[1:]
        if no_r2_nor_test_set == ["", "", ""]
    ]
    assert parsed == [
        (1, "lr 0.05 · zero_grad on · sse", 1, 0.1 + 0.2, 1 / 3, 0.7),
        (1, "lr 0.05 · zero_grad on · sse", 2, 1e-300, None, 1 / 7),
        (2, 'quote "and, comma"', 1, 2 / 3, 0.0, None),
    ]


def test_export_png_writes_a_png(plot, tmp_path):
    plot.start_run("a")
    plot.add_results([result(1, 1.0), result(2, 0.5)])
    path = tmp_path / "loss.png"
    plot.export_png(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_failed_png_export_leaves_the_old_file(plot, tmp_path, monkeypatch):
    path = tmp_path / "loss.png"
    path.write_bytes(b"old picture")

    def broken_savefig(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(plot.figure, "savefig", broken_savefig)
    with pytest.raises(OSError, match="disk full"):
        plot.export_png(path)
    assert path.read_bytes() == b"old picture"


def test_png_export_failing_at_the_rename_leaves_the_old_file(plot, tmp_path, monkeypatch):
    import engine.files

    path = tmp_path / "loss.png"
    path.write_bytes(b"old picture")

    def broken_replace(src, dst):
        raise OSError("rename failed")

    monkeypatch.setattr(engine.files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="rename failed"):
        plot.export_png(path)
    assert path.read_bytes() == b"old picture"
    assert [p.name for p in tmp_path.iterdir()] == ["loss.png"]  # no temporary file left behind


# ------------------------------------------------------------ live updates: stable limits and blitting


def rgba(plot: LossPlot):
    import numpy as np

    return np.asarray(plot.canvas.buffer_rgba()).astype(int)


def live_plot(plot: LossPlot, qtbot, total_steps: int | None = 100) -> LossPlot:
    """Two runs, the second one live with a few points, fully drawn and shown."""
    plot.show()
    qtbot.waitExposed(plot)
    plot.start_run("earlier", total_steps=total_steps)
    plot.add_results([result(s, 2.0 / s, 0.5, 1.0 / s) for s in range(1, 101)])
    draws = plot.canvas.full_draws
    plot.start_run("current", total_steps=total_steps)
    plot.add_results([result(s, 1.5 / s, 0.2, 0.5 + s / 10) for s in range(1, 6)])
    # the draw_idle those asked for (one, however many asked): a full draw, which keeps the background
    qtbot.waitUntil(lambda: plot.canvas.full_draws > draws)
    return plot


def test_updates_within_the_limits_are_blitted_and_match_a_full_draw(plot, qtbot):
    live_plot(plot, qtbot)
    draws_before = plot.canvas.full_draws
    limits = plot.loss_axes.get_xlim(), plot.loss_axes.get_ylim()
    drawn = []
    plot.canvas.mpl_connect("draw_event", drawn.append)
    for s in range(6, 30, 6):  # the gradient norm creeps up within its axis: blitted too
        plot.add_results([result(k, 1.5 / k, min(1.0, k / 30), 0.5 + k / 100) for k in range(s, s + 6)])
        QApplication.processEvents()  # a draw_idle, had one been asked for, happens here
    assert plot.canvas.full_draws == draws_before  # no full draw...
    assert len(drawn) == 4  # ...but listeners (the main window) hear of every update
    assert (plot.loss_axes.get_xlim(), plot.loss_axes.get_ylim()) == limits
    assert list(plot.lines_of(plot.runs[-1]).grad_norm.get_xdata()) == list(range(1, 30))
    blitted = rgba(plot)
    plot.canvas.draw()
    assert plot.canvas.full_draws == draws_before + 1
    assert abs(blitted - rgba(plot)).max() <= 8  # the same picture either way


def test_a_live_line_under_the_legend_stays_under_it(plot, qtbot):
    """The legend's pixels are pasted back after each blit: a line running beneath it must look
    exactly as a full draw shows it (under the opaque legend, and right up to its frame)."""
    live_plot(plot, qtbot)
    y1 = plot.loss_axes.get_ylim()[1]
    draws_before = plot.canvas.full_draws
    # steps 6..99 climbing to just below the top: through the upper right, where the legend is
    plot.add_results([result(k, 0.3 + (0.95 * y1 - 0.3) * (k - 6) / 93, 0.5) for k in range(6, 100)])
    QApplication.processEvents()
    assert plot.canvas.full_draws == draws_before and plot.loss_axes.get_ylim()[1] == y1  # blitted
    blitted = rgba(plot)
    plot.canvas.draw()
    assert abs(blitted - rgba(plot)).max() <= 8


def test_a_spy_on_the_figure_sees_no_full_draw_for_blitted_updates(plot, qtbot, monkeypatch):
    live_plot(plot, qtbot)
    full_draws = []
    monkeypatch.setattr(plot.figure, "draw", lambda renderer: full_draws.append(renderer))
    plot.add_results([result(6, 0.2, 0.6), result(7, 0.19, 0.7)])
    QApplication.processEvents()  # a draw_idle, had one been asked for, happens here
    assert full_draws == []


def test_changes_besides_the_current_lines_fall_back_to_a_full_draw(plot, qtbot, tmp_path):
    live_plot(plot, qtbot)
    assert plot._blit()
    plot.set_log_scale(True)  # scale and limits
    assert not plot._blit()
    plot.canvas.draw()
    assert plot._blit()
    plot.start_run("third", total_steps=100)
    plot.add_results([result(1, 1.0)])  # a new legend entry, the old current run fades
    assert not plot._blit()
    plot.canvas.draw()
    assert plot._blit()
    plot.resize(700, 500)  # another size
    qtbot.waitUntil(lambda: plot.canvas.get_width_height()[0] < 750)
    plot.canvas.draw()
    assert plot._blit()
    plot.export_png(tmp_path / "x.png")  # savefig's renderer replaced the background's one: full draw next
    assert not plot._blit()


def test_limits_grow_with_headroom_when_data_leaves_them(plot, qtbot):
    live_plot(plot, qtbot)
    low, high = plot.loss_axes.get_ylim()
    draws = plot.canvas.full_draws
    plot.add_results([result(6, high * 2, 0.5)])
    new_low, new_high = plot.loss_axes.get_ylim()
    assert new_low == low and new_high > high * 2  # grown past the new point, with headroom
    qtbot.waitUntil(lambda: plot.canvas.full_draws > draws)  # the new limits need a full draw
    # falling losses do not shrink the axis while the run is live
    plot.add_results([result(7, 0.01, 0.5)])
    assert plot.loss_axes.get_ylim() == (new_low, new_high)


def test_log_limits_grow_by_a_factor(plot, qtbot):
    plot.set_log_scale(True)
    live_plot(plot, qtbot)
    low, high = plot.loss_axes.get_ylim()
    plot.add_results([result(6, low / 10, 0.5)])
    new_low, new_high = plot.loss_axes.get_ylim()
    assert 0 < new_low < low / 10 and new_high == high


def test_gradient_norm_limits_grow_by_a_factor_while_live_and_fit_when_done(plot, qtbot):
    live_plot(plot, qtbot)
    low, high = plot.grad_norm_axes.get_ylim()
    loss_limits = plot.loss_axes.get_ylim()
    plot.add_results([result(6, 0.2, 0.5, high * 3)])  # the norm without zero_grad: growing
    new_low, new_high = plot.grad_norm_axes.get_ylim()
    assert new_low == low and new_high >= high * 3 * 4  # grown past the point by a factor
    assert plot.loss_axes.get_ylim() == loss_limits  # the loss axis did not move for it
    plot.add_results([result(7, 0.2, 0.5, low / 10)])
    assert plot.grad_norm_axes.get_ylim()[0] < low / 10
    plot.add_results([result(s, 0.1, 0.5, 1.0) for s in range(8, 101)])  # done: fit the data
    assert plot.grad_norm_axes.get_ylim() == pytest.approx((low / 10 / 2, high * 3 * 2))


def test_step_axis_spans_the_expected_steps_and_fits_the_data_when_done(plot, qtbot):
    plot.start_run("a", total_steps=50)
    assert plot.loss_axes.get_xlim() == (0, 50)
    plot.add_results([result(1, 3.0), result(2, 1.0)])
    assert plot.loss_axes.get_xlim() == (0, 50)
    plot.add_results([result(s, 0.5) for s in range(3, 51)])  # done: the loss axis fits the data
    assert plot.loss_axes.get_xlim() == (0, 50)
    assert plot.loss_axes.get_ylim() == pytest.approx((0.0, 3.0 * 1.05))


def test_without_expected_steps_the_step_axis_grows_with_headroom(plot):
    plot.start_run("a")
    plot.add_results([result(s, 1.0) for s in range(1, 21)])
    _, right = plot.loss_axes.get_xlim()
    assert right > 20
    plot.add_results([result(21, 1.0)])
    assert plot.loss_axes.get_xlim()[1] == right


def test_nothing_stays_animated_and_export_after_blits_shows_the_lines(plot, qtbot, tmp_path):
    import numpy as np
    from matplotlib.image import imread

    live_plot(plot, qtbot)
    for s in range(6, 40, 5):
        plot.add_results([result(k, 1.5 / k, 0.9) for k in range(s, s + 5)])
    current = plot.runs[-1]
    assert not any(a.get_animated() for a in (*plot.lines_of(current).all, plot._legend))
    path = tmp_path / "loss.png"
    plot.export_png(path)
    image = imread(path)[..., :3]
    blue = np.array([0x1F, 0x5F, 0xBF]) / 255  # the current run's colour
    assert (np.abs(image - blue).max(axis=-1) < 0.05).sum() > 300
    # and the legend is there: its frame hides nothing
    assert legend_texts(plot) == ["earlier", "current"]


# ------------------------------------------------------------ full draws in the canvas's thread


def test_a_new_run_is_drawn_outside_the_gui_thread(plot, qtbot, monkeypatch):
    """Train and New session ask for a full draw: the window's thread must not make it."""
    import threading

    live_plot(plot, qtbot)
    figure_draw = plot.figure.draw
    threads = []
    monkeypatch.setattr(
        plot.figure, "draw", lambda renderer: threads.append(threading.get_ident()) or figure_draw(renderer)
    )
    draws = plot.canvas.full_draws
    plot.start_run("third", total_steps=200)
    plot.add_results([result(1, 1.0)])
    qtbot.waitUntil(lambda: plot.canvas.full_draws > draws and not plot.canvas.rendering)
    assert threads and threading.get_ident() not in threads
    assert legend_texts(plot) == ["earlier", "current", "third"]


def test_results_that_come_while_the_thread_draws_are_held_back_then_shown(plot, qtbot):
    live_plot(plot, qtbot)
    plot.set_log_scale(True)  # a full draw
    qtbot.waitUntil(lambda: plot.canvas.rendering)
    current = plot.runs[-1]
    before = list(plot.lines_of(current).loss.get_xdata())
    plot.add_results([result(6, 0.2, 0.6), result(7, 0.19, 0.7)])
    if plot.canvas.rendering:  # nothing in the figure changes under the thread
        assert list(plot.lines_of(current).loss.get_xdata()) == before
    assert current.steps[-2:] == [6, 7]  # the data is kept at once
    qtbot.waitUntil(lambda: not plot.canvas.rendering)
    assert list(plot.lines_of(current).loss.get_xdata())[-2:] == [6, 7]
    assert plot.loss_axes.get_yscale() == "log"


def test_export_while_the_thread_draws_shows_every_result(plot, qtbot, tmp_path):
    live_plot(plot, qtbot)
    plot.start_run("third", total_steps=100)
    qtbot.waitUntil(lambda: plot.canvas.rendering)
    plot.add_results([result(s, 1.0 / s) for s in range(1, 30)])
    plot.export_png(tmp_path / "loss.png")
    assert not plot.canvas.rendering
    assert list(plot.lines_of(plot.runs[-1]).loss.get_xdata()) == list(range(1, 30))
    assert legend_texts(plot) == ["earlier", "current", "third"]

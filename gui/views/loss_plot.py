"""The Loss tab: loss, gradient norm and accuracy per step, live, with earlier runs kept faded.

The runs themselves (their points, which one is current, the CSV) live in
engine/run_history.py; this view keeps only the matplotlib artists that draw them, three
lines per run, and makes them show the history again after every change.

Live updates only move data into existing artists (`set_data`): the training thread holds
the GIL most of the time, so every redraw the GUI thread does must stay light. While a run
is live its limits rarely change (the step axis spans the run's expected steps, the loss and
norm axes only grow, with headroom), and updates that leave them alone are blitted: every
full draw keeps a copy of the figure without the current run's three lines and the legend
above them, and an update restores that copy, draws only those artists and repaints the
axes: a few milliseconds instead of a full draw of ticks, labels, legend and the earlier
runs. Anything else that changes (limits, scale, legend, messages, runs, size) asks for a
full draw, which takes a new copy. When the run reaches its expected steps the limits fit
the data again.

That full draw is made in the canvas's render thread (gui/widgets/blit_canvas.py): 40-50 ms of text
and ticks here, more than 100 ms on a slower CPU, that the window no longer waits for. While
the thread draws, the history still grows, but no artist changes: `_refresh` holds the
change back and makes it when the canvas says `rendered`.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FormatStrFormatter, FuncFormatter, LogLocator, NullLocator, PercentFormatter
from matplotlib.transforms import Bbox, offset_copy
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from engine.files import atomic_write_bytes, atomic_write_text
from engine.run_history import MAX_RUNS, Run, RunHistory
from gui.views.axis_limits import HEADROOM, grown, linear_fit, log_fit, set_limits
from gui.views.loss_legend import add_legend, fits_width, room_above
from gui.views.test_curves import (
    TEST_LEGEND,
    add_test_lines,
    show_test_points,
    test_legend_handle,
    test_losses,
)
from gui.widgets.blit_canvas import BlitCanvas

__all__ = ["EARLIER_ALPHA", "EMPTY_HINT", "MAX_RUNS", "LossPlot", "RunLines"]

EMPTY_HINT = "Press Train to watch the loss fall"
NO_ACCURACY = "No accuracy or R²: this run has neither"
NO_GRAD_NORM = "No gradient norm: this run's history did not record it"
GRAD_NORM_LABEL = "gradient norm\n‖∇‖ (log)"
CURRENT_COLOR = "#1f5fbf"
# earlier runs, faded; none of them is the current run's blue
EARLIER_COLORS = ("#e8710a", "#2e8b3a", "#8e44ad", "#c0392b", "#16a2a8", "#7f5539")
EARLIER_ALPHA = 0.35
GRID_COLOR = "#e3e3e3"
# the loss gets most of the height, then the gradient norm, then the accuracy
HEIGHT_RATIOS = (5, 3, 2)
# margins in pixels, set on every resize: a fixed layout keeps live redraws cheap
# (a constrained layout would cost about as much as the drawing itself, on every frame);
# the left one holds tick labels and the gradient norm's two-line label beside them
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM, AXES_GAP = 88, 14, 18, 44, 12
LEGEND_PAD_TOP = 6  # above the legend, when there is one (gui/views/loss_legend.py)
# the axis labels stay where they are put, aligned, clear of the widest tick labels ("100%"):
# matplotlib would place each one after measuring every tick label of the three axes, on every
# full draw, a third of its time
YLABEL_OFFSET_PT, XLABEL_OFFSET_PT = 37, 20
EMPTY_LOG_LIMITS = (1e-3, 1.0)  # a log loss axis with nothing positive to show
EMPTY_NORM_LIMITS = (1e-2, 1e2)


@dataclass(eq=False)
class RunLines:
    """The three lines that draw one run, and what of the run they show."""

    loss: Line2D
    grad_norm: Line2D
    accuracy: Line2D
    # dashed, on the held-out test set (gui/views/test_curves.py): made once the run has test points
    test_loss: Line2D | None = None
    test_accuracy: Line2D | None = None
    revision: int = -1  # the run's revision whose points they hold
    earlier_index: int | None = None  # and whether they are styled as an earlier run

    @property
    def all(self) -> tuple[Line2D, ...]:
        test = (self.test_loss, self.test_accuracy) if self.test_loss is not None else ()
        return (self.loss, self.grad_norm, self.accuracy, *test)


@dataclass
class _Limits:
    """The step axis and the two y axes that follow the data (accuracy's is fixed)."""

    x: tuple
    loss: tuple | None  # None: keep what the axis has (no finite loss yet)
    grad_norm: tuple | None


class LossPlot(QWidget):
    """Loss on top, the gradient norm below it, accuracy at the bottom, sharing the step axis."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.history = RunHistory()
        self._lines: dict[Run, RunLines] = {}  # every run whose lines are in the figure
        self._current_lines: RunLines | None = None  # the current run's, as last synced
        self._log_scale = False
        self._live_limits: _Limits | None = None  # the live run's limits, which only grow
        self._legend = None  # above the loss axes, in a top margin made for it (gui/views/loss_legend.py)
        self._legend_key: list[tuple] = []  # what the legend shows, to rebuild it only on change

        self.figure = Figure(figsize=(8, 6), facecolor="white")
        # While a run is live, only its lines (and the legend above them) change
        self.canvas = BlitCanvas(
            self.figure,
            self._dynamic_artists,
            self._background_state,
            self._blit_box,
            self._overlay_artists,
            render_in_thread=True,
        )
        self._held_back = False  # a change came while the render thread drew the figure
        self.canvas.rendered.connect(self._on_canvas_rendered)
        self.canvas.setMinimumSize(240, 260)
        self.loss_axes, self.grad_norm_axes, self.accuracy_axes = self.figure.subplots(
            3, 1, sharex=True, gridspec_kw={"height_ratios": HEIGHT_RATIOS}
        )
        self._style_axes()
        self._apply_margins()
        self.canvas.mpl_connect("resize_event", self._apply_margins)
        text_style = {"ha": "center", "va": "center", "fontsize": 11, "color": "#777777"}
        self._empty_text = self.loss_axes.text(
            0.5, 0.5, EMPTY_HINT, transform=self.loss_axes.transAxes, **text_style
        )
        self._no_grad_norm_text = self.grad_norm_axes.text(
            0.5, 0.5, NO_GRAD_NORM, transform=self.grad_norm_axes.transAxes, visible=False, **text_style
        )
        self._no_accuracy_text = self.accuracy_axes.text(
            0.5, 0.5, NO_ACCURACY, transform=self.accuracy_axes.transAxes, visible=False, **text_style
        )
        self._build_toolbar()

    def _style_axes(self) -> None:
        for ax in (self.loss_axes, self.grad_norm_axes, self.accuracy_axes):
            ax.grid(True, color=GRID_COLOR, linewidth=0.8)
            ax.set_axisbelow(True)
            ax.tick_params(labelsize=9)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        self.loss_axes.set_ylabel("loss", fontsize=10)
        self.loss_axes.set_xlim(0, 10)
        self.loss_axes.set_ylim(0, 1)
        norm = self.grad_norm_axes
        norm.set_ylabel(GRAD_NORM_LABEL, fontsize=9)
        norm.set_yscale("log", nonpositive="clip")  # a norm of exactly 0 plunges to the bottom edge
        norm.yaxis.set_major_locator(LogLocator(numticks=5))  # a few decades: readable in a low panel
        norm.yaxis.set_minor_locator(NullLocator())
        # 0.01, 0.1, 1, 10: plain numbers read at a glance (and need no mathtext, slow to draw)
        norm.yaxis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:g}"))
        norm.set_ylim(*EMPTY_NORM_LIMITS)
        for ax in (self.loss_axes, self.grad_norm_axes):
            ax.tick_params(labelbottom=False)
        self.accuracy_axes.set_ylabel("accuracy", fontsize=10)
        self.accuracy_axes.set_xlabel("step", fontsize=10)
        self.accuracy_axes.set_ylim(-0.03, 1.03)
        self.accuracy_axes.set_yticks([0.0, 0.5, 1.0])
        self.accuracy_axes.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
        for ax in (self.loss_axes, self.grad_norm_axes, self.accuracy_axes):
            left_of_axes = offset_copy(ax.transAxes, self.figure, x=-YLABEL_OFFSET_PT, units="points")
            ax.yaxis.set_label_coords(0.0, 0.5, transform=left_of_axes)
        below_axes = offset_copy(
            self.accuracy_axes.transAxes, self.figure, y=-XLABEL_OFFSET_PT, units="points"
        )
        self.accuracy_axes.xaxis.set_label_coords(0.5, 0.0, transform=below_axes)

    def _build_toolbar(self) -> None:
        self.log_checkbox = QCheckBox("Log scale")
        self.log_checkbox.setToolTip("Show the loss on a logarithmic axis: small losses stay readable")
        self.log_checkbox.toggled.connect(self._on_log_checkbox_toggled)
        self.clear_button = QPushButton("Clear earlier runs")
        self.clear_button.setToolTip("Remove the faded curves of earlier runs; keep the current one")
        self.clear_button.setEnabled(False)
        self.clear_button.clicked.connect(self.clear_earlier_runs)
        toolbar = QHBoxLayout()
        toolbar.setContentsMargins(6, 4, 6, 0)
        toolbar.addWidget(self.log_checkbox)
        toolbar.addStretch(1)
        toolbar.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(toolbar)
        layout.addWidget(self.canvas, 1)

    # ------------------------------------------------------------ runs

    @property
    def runs(self) -> list[Run]:
        """Earlier runs, oldest first, then the current run."""
        return self.history.runs

    def lines_of(self, run: Run) -> RunLines:
        """The lines that draw `run` (KeyError if it is not shown)."""
        return self._lines[run]

    def start_run(self, label: str, total_steps: int | None = None) -> None:
        """Begin a new current run; the old current run (if it has points) becomes a faded earlier run.

        `total_steps`, the steps the run is expected to take, fixes the step axis while it runs."""
        self.history.start_run(label, total_steps)
        self._live_limits = None
        self._refresh()

    def continue_run(self, label: str, total_steps: int | None = None) -> None:
        """The current run goes on under a new label and length, its points kept (see RunHistory)."""
        if self.history.continue_current(label, total_steps) is not None:
            self._live_limits = None
            self._refresh()

    def add_results(self, results: list) -> None:
        """Append results (anything with .step, .loss, .accuracy, .grad_norm) to the current run and redraw."""
        if self.history.add_results(results) is not None:
            self._refresh()

    def reset_current(self) -> None:
        """Forget the current run's points (earlier runs stay)."""
        if self.history.current is None:
            return
        self.history.reset_current()
        self._live_limits = None
        self._refresh()

    def clear_earlier_runs(self) -> None:
        self.history.clear_earlier()
        self._live_limits = None  # fit the current run alone
        self._refresh()

    def set_log_scale(self, on: bool) -> None:
        """Show the loss on a log axis (losses of exactly 0 are drawn at the bottom edge)."""
        on = bool(on)
        if self.log_checkbox.isChecked() != on:
            self.log_checkbox.blockSignals(True)
            self.log_checkbox.setChecked(on)
            self.log_checkbox.blockSignals(False)
        if on == self._log_scale:
            return
        self._log_scale = on
        self._live_limits = None
        self._refresh()

    @property
    def log_scale(self) -> bool:
        return self._log_scale

    # ------------------------------------------------------------ export

    def export_png(self, path: str | os.PathLike) -> None:
        """Save the figure as PNG atomically: on any failure the old file stays as it was."""
        self.canvas.finish_render()  # savefig draws the figure too: not while the render thread does
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=150, facecolor="white")
        atomic_write_bytes(path, buffer.getvalue())

    def export_csv(self, path: str | os.PathLike) -> None:
        """Write every run's history (run,label,step,loss,accuracy,grad_norm) atomically, floats at
        repr precision."""
        atomic_write_text(path, self.csv_text())

    def csv_text(self) -> str:
        return self.history.csv_text()

    # ------------------------------------------------------------ drawing

    def _sync_lines(self) -> None:
        """Make the lines show the history: new runs get lines, earlier ones fade, dropped ones go."""
        runs = self.history.runs
        for run in [run for run in self._lines if run not in runs]:
            for line in self._lines.pop(run).all:
                line.remove()
        for run in runs:
            lines = self._lines.get(run) or self._add_lines(run)
            if lines.test_loss is None and run.has_test:
                style = {"color": lines.loss.get_color(), "linewidth": 2.0, "zorder": 3}
                lines.test_loss, lines.test_accuracy = add_test_lines(
                    self.loss_axes, self.accuracy_axes, style
                )
            if lines.revision != run.revision or lines.earlier_index != run.earlier_index:
                _show_run(lines, run)
        self._current_lines = self._lines[runs[-1]] if runs else None

    def _add_lines(self, run: Run) -> RunLines:
        style = {"color": CURRENT_COLOR, "linewidth": 2.0, "zorder": 3}
        (loss,) = self.loss_axes.plot([], [], label=run.label, **style)
        (grad_norm,) = self.grad_norm_axes.plot([], [], **style)
        (accuracy,) = self.accuracy_axes.plot([], [], **style)
        lines = self._lines[run] = RunLines(loss, grad_norm, accuracy)
        return lines

    def _apply_margins(self, _event: object = None) -> None:
        width, height = self.figure.bbox.width, self.figure.bbox.height
        if width < 2 * (MARGIN_LEFT + MARGIN_RIGHT) or height < 2 * (MARGIN_TOP + MARGIN_BOTTOM):
            return  # too small to lay out: keep the last layout
        if not fits_width(self._legend, width, self.figure.dpi):
            self._legend_key = []  # made again in the columns this width holds, then margins again
            self._refresh()
            return
        gaps = len(HEIGHT_RATIOS) - 1
        top = max(MARGIN_TOP, room_above(self._legend, self.figure.dpi) + LEGEND_PAD_TOP)
        axes_height = height - top - MARGIN_BOTTOM - gaps * AXES_GAP
        self.figure.subplots_adjust(
            left=MARGIN_LEFT / width,
            right=1 - MARGIN_RIGHT / width,
            top=1 - top / height,
            bottom=MARGIN_BOTTOM / height,
            # the gap as a fraction of the mean axes height
            hspace=AXES_GAP / (axes_height / len(HEIGHT_RATIOS)),
        )

    def _on_log_checkbox_toggled(self, checked: bool) -> None:
        self.set_log_scale(checked)

    def _refresh_legend(self, shown: list[Run]) -> None:
        lines = [self._lines[run].loss for run in shown]
        key = [(id(line), run.label, line.get_color()) for run, line in zip(shown, lines)]
        labels = [run.label for run in shown]
        if any(run.has_test for run in shown):  # what the dashed lines are
            lines, labels = [*lines, test_legend_handle("#555555")], [*labels, TEST_LEGEND]
            key.append(TEST_LEGEND)
        if key == self._legend_key:
            return
        self._legend_key = key
        if self._legend is not None:
            self._legend.remove()
            self._legend = None
        if not shown:
            self._apply_margins()  # no legend: no room for it
            return
        self._legend = add_legend(self.loss_axes, lines, labels)  # above the axes
        self._apply_margins()  # which make room for it
        # the legend's handles are copies: show earlier runs' colours a little stronger than their lines
        for handle in self._legend.legend_handles:
            if handle.get_alpha() is not None:
                handle.set_alpha(0.6)

    def _refresh(self) -> None:
        """Legend, scales, limits and messages after the runs changed; then a blit if only the
        current run's lines changed, or else one draw_idle. Held back while the figure is being drawn."""
        self.clear_button.setEnabled(len(self.history.runs) > 1)
        if self.canvas.rendering:
            self._held_back = True
            return
        self._sync_lines()
        shown = [run for run in self.history.runs if run.steps]
        self._refresh_legend(shown)
        self._empty_text.set_visible(not shown)
        current = self.history.current
        has_points = bool(current and current.steps)
        self._no_accuracy_text.set_visible(has_points and not (current.has_accuracy or current.has_r2))
        self._show_metric("R²" if current and current.has_r2 and not current.has_accuracy else "accuracy")
        self._no_grad_norm_text.set_visible(has_points and not current.has_grad_norm)
        self._autoscale(shown)
        if not self._blit():
            self.canvas.draw_idle()

    def _show_metric(self, name: str) -> None:
        """Label the bottom panel "accuracy" (in percent) or "R²" (a number up to 1)."""
        if self.accuracy_axes.get_ylabel() == name:
            return
        self.accuracy_axes.set_ylabel(name, fontsize=10)
        formatter = PercentFormatter(xmax=1.0, decimals=0) if name == "accuracy" else FormatStrFormatter("%g")
        self.accuracy_axes.yaxis.set_major_formatter(formatter)
        self.canvas.invalidate_background()

    def _on_canvas_rendered(self) -> None:
        if self._held_back:
            self._held_back = False
            self._refresh()

    def _autoscale(self, shown: list[Run]) -> None:
        """Limits from the data, computed here: cheaper than relim() and in control of zeros on log axes.

        While the current run is live they only grow, with headroom; once it is done they fit the data."""
        ax = self.loss_axes
        wanted_scale = "log" if self._log_scale else "linear"
        if ax.get_yscale() != wanted_scale:
            if self._log_scale:
                ax.set_yscale("log", nonpositive="clip")
            else:
                ax.set_yscale("linear")
        limits = self._fitted_limits(shown)
        current = self.history.current
        if current is not None and not current.finished:
            limits = self._live_limits = self._grown_limits(limits, current.total_steps, bool(shown))
        else:
            self._live_limits = None
        set_limits(ax, limits.x, limits.loss)
        set_limits(self.grad_norm_axes, None, limits.grad_norm)

    def _fitted_limits(self, shown: list[Run]) -> _Limits:
        """The limits that fit the data (None for a y axis with no finite value: keep it as it is)."""
        if not shown:
            return _Limits((0, 10), EMPTY_LOG_LIMITS if self._log_scale else (0.0, 1.0), EMPTY_NORM_LIMITS)
        last_step = max(run.steps[-1] for run in shown)
        first_step = min(run.steps[0] for run in shown)
        xlim = (min(0, first_step), max(last_step, first_step + 1))
        losses = [v for run in shown for v in run.losses if math.isfinite(v)] + test_losses(shown)
        norms = [v for run in shown for v in run.grad_norms if math.isfinite(v)]
        loss = log_fit(losses, EMPTY_LOG_LIMITS) if self._log_scale else linear_fit(losses)
        return _Limits(xlim, loss, log_fit(norms, EMPTY_NORM_LIMITS))

    def _grown_limits(self, fitted: _Limits, total_steps: int | None, any_shown: bool) -> _Limits:
        """Live limits: the last ones, grown (with headroom) only where the fitted ones go past them."""
        xlim = fitted.x
        if total_steps is not None:  # the whole run's width from the start (or earlier runs' if wider)
            xlim = (xlim[0], max(xlim[1], total_steps) if any_shown else total_steps)
        last = self._live_limits
        if last is None:
            if total_steps is None:
                xlim = (xlim[0], xlim[1] + max(1.0, HEADROOM * (xlim[1] - xlim[0])))
            loss = fitted.loss or tuple(self.loss_axes.get_ylim())
            grad_norm = fitted.grad_norm or tuple(self.grad_norm_axes.get_ylim())
            return _Limits(xlim, loss, grad_norm)
        (x0, x1) = last.x
        if xlim[0] < x0:
            x0 = xlim[0]
        if xlim[1] > x1:
            x1 = xlim[1] + max(1.0, HEADROOM * (xlim[1] - x0))
        return _Limits(
            (x0, x1),
            grown(last.loss, fitted.loss, log=self._log_scale),
            grown(last.grad_norm, fitted.grad_norm, log=True),
        )

    # ------------------------------------------------------------ blitting

    def _dynamic_artists(self) -> list:
        """What a live update redraws over the background, in drawing order: the current run's lines."""
        if self._current_lines is None:
            return []
        return sorted(self._current_lines.all, key=lambda a: a.get_zorder())

    def _overlay_artists(self) -> list:
        """The legend, which stays on top of the live lines and changes only with a full draw."""
        return [] if self._legend is None or self._current_lines is None else [self._legend]

    def _background_state(self) -> tuple:
        """Everything in the background that an update could change: if any of it differs from the
        last full draw, the background is stale."""
        axes = (self.loss_axes, self.grad_norm_axes, self.accuracy_axes)
        texts = (self._empty_text, self._no_grad_norm_text, self._no_accuracy_text)
        return (
            self.loss_axes.get_xlim(),
            self.loss_axes.get_yscale(),
            *(ax.get_ylim() for ax in axes),
            tuple(self._legend_key),
            id(self._legend),
            *(text.get_visible() for text in texts),
            *(tuple(map(id, ax.lines)) for ax in axes),
            id(self._current_lines),
        )

    def _blit_box(self) -> Bbox:
        # the lines' width can reach a little outside the axes boxes: all three, padded, in one repaint
        return Bbox.union([self.loss_axes.bbox, self.grad_norm_axes.bbox, self.accuracy_axes.bbox]).padded(3)

    def _blit(self) -> bool:
        """Redraw only the current run's lines (and the legend) over the background; False if
        there is no background, or it no longer matches what the figure shows."""
        return self.canvas.blit_changes()


def _show_run(lines: RunLines, run: Run) -> None:
    """Put the run's points in its lines (NaN, a gap, where a value is missing); fade an earlier run."""
    lines.revision, lines.earlier_index = run.revision, run.earlier_index
    lines.loss.set_data(run.steps, run.losses)
    lines.grad_norm.set_data(run.steps, run.grad_norms)
    # the bottom panel: accuracy, or R^2 for a regression (1 is a perfect fit; below 0 is off the panel)
    metric = run.r2s if run.has_r2 and not run.has_accuracy else run.accuracies
    lines.accuracy.set_data(run.steps, [math.nan if a is None else a for a in metric])
    if lines.test_loss is not None:
        show_test_points(lines.test_loss, lines.test_accuracy, run)
    if run.earlier_index is not None:
        color = EARLIER_COLORS[run.earlier_index % len(EARLIER_COLORS)]
        for line in lines.all:
            line.set(color=color, alpha=EARLIER_ALPHA, linewidth=1.3, zorder=2)

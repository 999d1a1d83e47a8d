"""The Loss tab: loss (and accuracy) per step, live, with earlier runs kept as faded curves.

Live updates only move data into existing artists (`set_data`): the training thread holds
the GIL most of the time, so every redraw the GUI thread does must stay light. While a run
is live its limits rarely change (the step axis spans the run's expected steps, the loss axis
only grows, with headroom), and updates that leave them alone are blitted: every full draw
keeps a copy of the figure without the current run's two lines and the legend above them,
and an update restores that copy, draws only those artists and repaints the axes: a few
milliseconds instead of a full draw of ticks, labels, legend and the earlier runs. Anything
else that changes (limits, scale, legend, messages, runs, size) asks for a full draw, which
takes a new copy. When the run reaches its expected steps the limits fit the data again.

That full draw is made in the canvas's render thread (gui/widgets/blit_canvas.py): 40-50 ms of text
and ticks here, more than 100 ms on a slower CPU, that the window no longer waits for. While
the thread draws, the runs' data still grows, but no artist changes: `_refresh` holds the
change back and makes it when the canvas says `rendered`.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass, field

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter
from matplotlib.transforms import Bbox
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from engine.files import atomic_write_bytes, atomic_write_text
from gui.widgets.blit_canvas import BlitCanvas

MAX_RUNS = 6  # the current run and up to five earlier ones
EMPTY_HINT = "Press Train to watch the loss fall"
NO_ACCURACY = "No accuracy: the targets are not all +1 / −1"
CURRENT_COLOR = "#1f5fbf"
# earlier runs, faded; none of them is the current run's blue
EARLIER_COLORS = ("#e8710a", "#2e8b3a", "#8e44ad", "#c0392b", "#16a2a8", "#7f5539")
EARLIER_ALPHA = 0.35
GRID_COLOR = "#e3e3e3"
# margins in pixels, set on every resize: a fixed layout keeps live redraws cheap
# (a constrained layout would cost about as much as the drawing itself, on every frame)
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM, AXES_GAP = 66, 14, 18, 44, 12
# while a run is live, limits only grow, and by this much more than the data needs (a fraction of
# the span, or a factor on a log axis), so that most updates leave them alone and can be blitted
HEADROOM = 0.2
LOG_HEADROOM = 4.0


@dataclass
class Run:
    """One training run's history and the two lines that draw it."""

    label: str
    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    accuracies: list[float | None] = field(default_factory=list)
    loss_line: Line2D | None = field(default=None, repr=False)
    accuracy_line: Line2D | None = field(default=None, repr=False)
    total_steps: int | None = None  # the steps the run is expected to take, if known
    earlier_color: str | None = None  # set once it is an earlier run, drawn faded in this colour
    lines_stale: bool = field(default=True, repr=False)  # its points are not in its lines yet

    @property
    def has_accuracy(self) -> bool:
        return any(a is not None for a in self.accuracies)

    @property
    def finished(self) -> bool:
        return self.total_steps is not None and bool(self.steps) and self.steps[-1] >= self.total_steps


class LossPlot(QWidget):
    """Loss on top (about 70% of the height), accuracy below, sharing the step axis."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._runs: list[Run] = []
        self._earlier_count = 0  # earlier runs so far: picks each one's colour, which never changes
        self._log_scale = False
        self._live_limits: tuple | None = None  # (xlim, ylim) of the live run, which only grow

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
        self._dropped: list[Run] = []  # runs gone from the plot whose lines are still in it
        self._held_back = False  # a change came while the render thread drew the figure
        self.canvas.rendered.connect(self._on_canvas_rendered)
        self.canvas.setMinimumSize(240, 200)
        self.loss_axes, self.accuracy_axes = self.figure.subplots(
            2, 1, sharex=True, gridspec_kw={"height_ratios": [7, 3]}
        )
        for ax in (self.loss_axes, self.accuracy_axes):
            ax.grid(True, color=GRID_COLOR, linewidth=0.8)
            ax.set_axisbelow(True)
            ax.tick_params(labelsize=9)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        self._apply_margins()
        self.canvas.mpl_connect("resize_event", self._apply_margins)
        self.loss_axes.set_ylabel("loss", fontsize=10)
        self.loss_axes.tick_params(labelbottom=False)
        self.accuracy_axes.set_ylabel("accuracy", fontsize=10)
        self.accuracy_axes.set_xlabel("step", fontsize=10)
        self.accuracy_axes.set_ylim(-0.03, 1.03)
        self.accuracy_axes.set_yticks([0.0, 0.5, 1.0])
        self.accuracy_axes.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
        self.loss_axes.set_xlim(0, 10)
        self.loss_axes.set_ylim(0, 1)
        text_style = {"ha": "center", "va": "center", "fontsize": 11, "color": "#777777"}
        self._empty_text = self.loss_axes.text(
            0.5, 0.5, EMPTY_HINT, transform=self.loss_axes.transAxes, **text_style
        )
        self._no_accuracy_text = self.accuracy_axes.text(
            0.5, 0.5, NO_ACCURACY, transform=self.accuracy_axes.transAxes, visible=False, **text_style
        )
        self._legend = None
        self._legend_key: list[tuple] = []  # what the legend shows, to rebuild it only on change

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
        return list(self._runs)

    def start_run(self, label: str, total_steps: int | None = None) -> None:
        """Begin a new current run; the old current run (if it has points) becomes a faded earlier run.

        `total_steps`, the steps the run is expected to take, fixes the step axis while it runs."""
        total_steps = int(total_steps) if total_steps is not None and total_steps > 0 else None
        self._live_limits = None
        current = self._current()
        if current is not None and not current.steps:  # an empty run is not worth keeping: reuse it
            current.label = label
            current.total_steps = total_steps
            self._refresh()
            return
        if current is not None:
            current.earlier_color = EARLIER_COLORS[self._earlier_count % len(EARLIER_COLORS)]
            current.lines_stale = True
            self._earlier_count += 1
        self._runs.append(Run(label, total_steps=total_steps))
        while len(self._runs) > MAX_RUNS:
            self._dropped.append(self._runs.pop(0))
        self._refresh()

    def add_results(self, results: list) -> None:
        """Append results (anything with .step, .loss, .accuracy) to the current run and redraw."""
        if not results:
            return
        run = self._current() or self._start_unnamed_run()
        for r in results:
            run.steps.append(int(r.step))
            run.losses.append(float(r.loss))
            run.accuracies.append(None if r.accuracy is None else float(r.accuracy))
        run.lines_stale = True
        self._refresh()

    def reset_current(self) -> None:
        """Forget the current run's points (earlier runs stay)."""
        run = self._current()
        if run is None:
            return
        run.steps.clear()
        run.losses.clear()
        run.accuracies.clear()
        self._live_limits = None
        run.lines_stale = True
        self._refresh()

    def clear_earlier_runs(self) -> None:
        self._dropped += self._runs[:-1]
        del self._runs[:-1]
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
        """Write every run's history (run,label,step,loss,accuracy) atomically, floats at repr precision."""
        atomic_write_text(path, self.csv_text())

    def csv_text(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["run", "label", "step", "loss", "accuracy"])
        for number, run in enumerate(self._runs, 1):
            for step, loss, acc in zip(run.steps, run.losses, run.accuracies):
                writer.writerow([number, run.label, step, repr(loss), "" if acc is None else repr(acc)])
        return out.getvalue()

    # ------------------------------------------------------------ drawing

    def _current(self) -> Run | None:
        return self._runs[-1] if self._runs else None

    def _start_unnamed_run(self) -> Run:
        self.start_run(f"run {len(self._runs) + 1}")
        return self._runs[-1]

    def _sync_lines(self) -> None:
        """Make the lines show the runs: new runs get lines, earlier ones fade, dropped ones go."""
        for run in self._dropped:
            for line in (run.loss_line, run.accuracy_line):
                if line is not None:
                    line.remove()
        self._dropped.clear()
        for run in self._runs:
            if run.loss_line is None:
                style = {"color": CURRENT_COLOR, "linewidth": 2.0, "zorder": 3}
                (run.loss_line,) = self.loss_axes.plot([], [], label=run.label, **style)
                (run.accuracy_line,) = self.accuracy_axes.plot([], [], **style)
            if run.lines_stale:
                self._update_lines(run)

    def _update_lines(self, run: Run) -> None:
        run.lines_stale = False
        run.loss_line.set_data(run.steps, run.losses)
        accuracies = [math.nan if a is None else a for a in run.accuracies]
        run.accuracy_line.set_data(run.steps, accuracies)
        if run.earlier_color is not None:
            for line in (run.loss_line, run.accuracy_line):
                line.set(color=run.earlier_color, alpha=EARLIER_ALPHA, linewidth=1.3, zorder=2)

    def _apply_margins(self, _event: object = None) -> None:
        width, height = self.figure.bbox.width, self.figure.bbox.height
        if width < 2 * (MARGIN_LEFT + MARGIN_RIGHT) or height < 2 * (MARGIN_TOP + MARGIN_BOTTOM):
            return  # too small to lay out: keep the last layout
        axes_height = height - MARGIN_TOP - MARGIN_BOTTOM - AXES_GAP
        self.figure.subplots_adjust(
            left=MARGIN_LEFT / width,
            right=1 - MARGIN_RIGHT / width,
            top=1 - MARGIN_TOP / height,
            bottom=MARGIN_BOTTOM / height,
            hspace=AXES_GAP / (axes_height / 2),  # the gap as a fraction of the mean axes height
        )

    def _on_log_checkbox_toggled(self, checked: bool) -> None:
        self.set_log_scale(checked)

    def _refresh_legend(self, shown: list[Run]) -> None:
        key = [(id(run.loss_line), run.label, run.loss_line.get_color()) for run in shown]
        if key == self._legend_key:
            return
        self._legend_key = key
        if self._legend is not None:
            self._legend.remove()
            self._legend = None
        if not shown:
            return
        self._legend = self.loss_axes.legend(
            [run.loss_line for run in shown],
            [run.label for run in shown],
            loc="upper right",
            fontsize=9,
            framealpha=1.0,  # opaque: the canvas keeps its pixels and pastes them over the live lines
            fancybox=False,  # square corners: nothing of the lines shows in the corners of what is pasted
            edgecolor="#dddddd",
        )
        # the legend's handles are copies: show earlier runs' colours a little stronger than their lines
        for handle in self._legend.legend_handles:
            if handle.get_alpha() is not None:
                handle.set_alpha(0.6)

    def _refresh(self) -> None:
        """Legend, scales, limits and messages after the runs changed; then a blit if only the
        current run's lines changed, or else one draw_idle. Held back while the figure is being drawn."""
        self.clear_button.setEnabled(len(self._runs) > 1)
        if self.canvas.rendering:
            self._held_back = True
            return
        self._sync_lines()
        shown = [run for run in self._runs if run.steps]
        self._refresh_legend(shown)
        self._empty_text.set_visible(not shown)
        current = self._current()
        accuracy_missing = bool(current and current.steps and not current.has_accuracy)
        self._no_accuracy_text.set_visible(accuracy_missing)
        self._autoscale(shown)
        if not self._blit():
            self.canvas.draw_idle()

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
        xlim, ylim = self._fitted_limits(shown)
        current = self._current()
        if current is not None and not current.finished:
            xlim, ylim = self._live_limits = self._grown_limits(xlim, ylim, current.total_steps, bool(shown))
        else:
            self._live_limits = None
        _set_limits(ax, xlim, ylim)

    def _fitted_limits(self, shown: list[Run]) -> tuple[tuple, tuple | None]:
        """The step and loss limits that fit the data (None for the loss: keep it as it is)."""
        if not shown:
            return (0, 10), ((1e-3, 1.0) if self._log_scale else (0.0, 1.0))
        last_step = max(run.steps[-1] for run in shown)
        first_step = min(run.steps[0] for run in shown)
        xlim = (min(0, first_step), max(last_step, first_step + 1))
        finite = [v for run in shown for v in run.losses if math.isfinite(v)]
        if not finite:
            return xlim, None
        top = max(finite)
        if self._log_scale:
            if top <= 0:  # every loss is 0: nothing to put on a log axis yet
                return xlim, (1e-3, 1.0)
            low = min(v for v in finite if v > 0)
            # a loss of exactly 0 (hinge loss does reach it) plunges to the bottom edge
            return xlim, (low / 2, top * 2)
        low = min(0.0, min(finite))
        return xlim, (low, top * 1.05 if top > 0 else 1.0)

    def _grown_limits(
        self, xlim: tuple, ylim: tuple | None, total_steps: int | None, any_shown: bool
    ) -> tuple[tuple, tuple]:
        """Live limits: the last ones, grown (with headroom) only where the fitted ones go past them."""
        if total_steps is not None:  # the whole run's width from the start (or earlier runs' if wider)
            xlim = (xlim[0], max(xlim[1], total_steps) if any_shown else total_steps)
        if ylim is None:
            ylim = self._live_limits[1] if self._live_limits else self.loss_axes.get_ylim()
        if self._live_limits is None:
            if total_steps is None:
                xlim = (xlim[0], xlim[1] + max(1.0, HEADROOM * (xlim[1] - xlim[0])))
            return xlim, ylim
        (x0, x1), (y0, y1) = self._live_limits
        if xlim[0] < x0:
            x0 = xlim[0]
        if xlim[1] > x1:
            x1 = xlim[1] + max(1.0, HEADROOM * (xlim[1] - x0))
        if self._log_scale:
            if ylim[0] < y0:
                y0 = ylim[0] / LOG_HEADROOM
            if ylim[1] > y1:
                y1 = ylim[1] * LOG_HEADROOM
        else:
            span = max(ylim[1], y1) - min(ylim[0], y0)
            if ylim[0] < y0:
                y0 = ylim[0] - HEADROOM * span
            if ylim[1] > y1:
                y1 = ylim[1] + HEADROOM * span
        return (x0, x1), (y0, y1)

    # ------------------------------------------------------------ blitting

    def _dynamic_artists(self) -> list:
        """What a live update redraws over the background, in drawing order: the current run's lines."""
        current = self._current()
        if current is None:
            return []
        return sorted((current.loss_line, current.accuracy_line), key=lambda a: a.get_zorder())

    def _overlay_artists(self) -> list:
        """The legend, which stays on top of the live lines and changes only with a full draw."""
        return [] if self._legend is None or self._current() is None else [self._legend]

    def _background_state(self) -> tuple:
        """Everything in the background that an update could change: if any of it differs from the
        last full draw, the background is stale."""
        current = self._current()
        return (
            self.loss_axes.get_xlim(),
            self.loss_axes.get_ylim(),
            self.loss_axes.get_yscale(),
            self.accuracy_axes.get_ylim(),
            tuple(self._legend_key),
            id(self._legend),
            self._empty_text.get_visible(),
            self._no_accuracy_text.get_visible(),
            tuple(map(id, self.loss_axes.lines)),
            tuple(map(id, self.accuracy_axes.lines)),
            None if current is None else id(current.loss_line),
        )

    def _blit_box(self) -> Bbox:
        # the lines' width can reach a little outside the axes boxes: both, padded, in one repaint
        return Bbox.union([self.loss_axes.bbox, self.accuracy_axes.bbox]).padded(3)

    def _blit(self) -> bool:
        """Redraw only the current run's lines (and the legend) over the background; False if
        there is no background, or it no longer matches what the figure shows."""
        return self.canvas.blit_changes()


def _set_limits(ax, xlim: tuple, ylim: tuple | None) -> None:
    """Set limits only if they changed (setting them costs callbacks and marks the axes stale)."""
    if tuple(ax.get_xlim()) != tuple(xlim):
        ax.set_xlim(*xlim)
    if ylim is not None and tuple(ax.get_ylim()) != tuple(ylim):
        ax.set_ylim(*ylim)

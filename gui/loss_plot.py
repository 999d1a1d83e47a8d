"""The Loss tab: loss (and accuracy) per step, live, with earlier runs kept as faded curves.

Live updates only move data into existing artists (`set_data`) and ask for a
`draw_idle()`: the training thread holds the GIL most of the time, so every redraw
the GUI thread does must stay light.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass, field

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from engine.files import atomic_write_bytes, atomic_write_text

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


@dataclass
class Run:
    """One training run's history and the two lines that draw it."""

    label: str
    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    accuracies: list[float | None] = field(default_factory=list)
    loss_line: Line2D | None = field(default=None, repr=False)
    accuracy_line: Line2D | None = field(default=None, repr=False)

    @property
    def has_accuracy(self) -> bool:
        return any(a is not None for a in self.accuracies)


class LossPlot(QWidget):
    """Loss on top (about 70% of the height), accuracy below, sharing the step axis."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._runs: list[Run] = []
        self._earlier_count = 0  # earlier runs so far: picks each one's colour, which never changes
        self._log_scale = False

        self.figure = Figure(figsize=(8, 6), facecolor="white")
        self.canvas = FigureCanvasQTAgg(self.figure)
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

    def start_run(self, label: str) -> None:
        """Begin a new current run; the old current run (if it has points) becomes a faded earlier run."""
        current = self._current()
        if current is not None and not current.steps:  # an empty run is not worth keeping: reuse it
            current.label = label
            self._refresh()
            return
        if current is not None:
            color = EARLIER_COLORS[self._earlier_count % len(EARLIER_COLORS)]
            self._earlier_count += 1
            for line in (current.loss_line, current.accuracy_line):
                line.set(color=color, alpha=EARLIER_ALPHA, linewidth=1.3, zorder=2)
        run = Run(label)
        style = {"color": CURRENT_COLOR, "linewidth": 2.0, "zorder": 3}
        (run.loss_line,) = self.loss_axes.plot([], [], label=label, **style)
        (run.accuracy_line,) = self.accuracy_axes.plot([], [], **style)
        self._runs.append(run)
        while len(self._runs) > MAX_RUNS:
            self._remove(self._runs.pop(0))
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
        self._update_lines(run)
        self._refresh()

    def reset_current(self) -> None:
        """Forget the current run's points (earlier runs stay)."""
        run = self._current()
        if run is None:
            return
        run.steps.clear()
        run.losses.clear()
        run.accuracies.clear()
        self._update_lines(run)
        self._refresh()

    def clear_earlier_runs(self) -> None:
        for run in self._runs[:-1]:
            self._remove(run)
        del self._runs[:-1]
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
        self._refresh()

    @property
    def log_scale(self) -> bool:
        return self._log_scale

    # ------------------------------------------------------------ export

    def export_png(self, path: str | os.PathLike) -> None:
        """Save the figure as PNG atomically: on any failure the old file stays as it was."""
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

    def _remove(self, run: Run) -> None:
        run.loss_line.remove()
        run.accuracy_line.remove()

    def _update_lines(self, run: Run) -> None:
        run.loss_line.set_data(run.steps, run.losses)
        accuracies = [math.nan if a is None else a for a in run.accuracies]
        run.accuracy_line.set_data(run.steps, accuracies)

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
            framealpha=0.9,
            edgecolor="#dddddd",
        )
        # the legend's handles are copies: show earlier runs' colours a little stronger than their lines
        for handle in self._legend.legend_handles:
            if handle.get_alpha() is not None:
                handle.set_alpha(0.6)

    def _refresh(self) -> None:
        """Legend, scales, limits and messages after the runs changed; then one draw_idle."""
        self.clear_button.setEnabled(len(self._runs) > 1)
        shown = [run for run in self._runs if run.steps]
        self._refresh_legend(shown)
        self._empty_text.set_visible(not shown)
        current = self._current()
        accuracy_missing = bool(current and current.steps and not current.has_accuracy)
        self._no_accuracy_text.set_visible(accuracy_missing)
        self._autoscale(shown)
        self.canvas.draw_idle()

    def _autoscale(self, shown: list[Run]) -> None:
        """Limits from the data, computed here: cheaper than relim() and in control of zeros on log axes."""
        ax = self.loss_axes
        wanted_scale = "log" if self._log_scale else "linear"
        if ax.get_yscale() != wanted_scale:
            if self._log_scale:
                ax.set_yscale("log", nonpositive="clip")
            else:
                ax.set_yscale("linear")
        if not shown:
            ax.set_xlim(0, 10)
            ax.set_ylim((1e-3, 1.0) if self._log_scale else (0.0, 1.0))
            return
        last_step = max(run.steps[-1] for run in shown)
        first_step = min(run.steps[0] for run in shown)
        ax.set_xlim(min(0, first_step), max(last_step, first_step + 1))
        finite = [v for run in shown for v in run.losses if math.isfinite(v)]
        if not finite:
            return
        top = max(finite)
        if self._log_scale:
            positive = [v for v in finite if v > 0]
            low = min(positive) if positive else top
            if top <= 0:  # every loss is 0: nothing to put on a log axis yet
                ax.set_ylim(1e-3, 1.0)
                return
            # a loss of exactly 0 (hinge loss does reach it) plunges to the bottom edge
            ax.set_ylim(low / 2, top * 2)
        else:
            low = min(0.0, min(finite))
            ax.set_ylim(low, top * 1.05 if top > 0 else 1.0)

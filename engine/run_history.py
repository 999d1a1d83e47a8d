"""The training runs the loss plot shows: each run's points, which run is current, and the CSV.

The Loss tab (gui/views/loss_plot.py) draws these runs; this module only keeps them, with no
Qt and no matplotlib, so that what is kept (at most MAX_RUNS runs, the oldest dropped first)
and what is exported can be tested headless. A view learns what changed by comparing: a run
it has not seen is new, a run it holds that is gone was dropped, a run whose `revision` moved
has new points, and `earlier_index` says whether (and as which) a run became an earlier one.

>>> history = RunHistory()
>>> run = history.add_results([StepPoint(1, 0.5, None, 2.0)])  # no run yet: an unnamed one starts
>>> run.label, run.grad_norms
('run 1', [2.0])
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

MAX_RUNS = 6  # the current run and up to five earlier ones
# Every figure a step records; the three after grad_norm are empty where the run has none
# (R² only for regression, the test figures only with a held-out test set)
CSV_COLUMNS = ("run", "label", "step", "loss", "accuracy", "grad_norm", "r2", "test_loss", "test_accuracy")


class StepLike(Protocol):
    """What a run needs of one training step (engine.train.StepResult has it all)."""

    step: int
    loss: float
    accuracy: float | None


class StepPoint(NamedTuple):
    """One step's numbers, for callers without a StepResult at hand."""

    step: int
    loss: float
    accuracy: float | None = None
    grad_norm: float = math.nan


@dataclass(eq=False)  # compared by identity: a view keys its artists by the run
class Run:
    """One training run: its points in step order, and whether it is still the current run."""

    label: str
    total_steps: int | None = None  # the steps the run is expected to take, if known
    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    accuracies: list[float | None] = field(default_factory=list)
    r2s: list[float | None] = field(default_factory=list)  # regression's R^2 per step (None for classes)
    # the length of the gradient each step used; NaN where it was not recorded (older sessions)
    grad_norms: list[float] = field(default_factory=list)
    # on the held-out test set: NaN / None at steps without one
    test_losses: list[float] = field(default_factory=list)
    test_accuracies: list[float | None] = field(default_factory=list)
    # None while current; once earlier, how many runs became earlier before it (a view picks
    # its faded colour by it, so that the colour never changes while the run is shown)
    earlier_index: int | None = None
    revision: int = 0  # moves whenever its points change: a view redraws the run then
    # what `_recorded` has learnt: the figures some step recorded, and how far the others were looked at
    _found: set[str] = field(default_factory=set, init=False, repr=False)
    _looked: dict[str, int] = field(default_factory=dict, init=False, repr=False)

    @property
    def is_current(self) -> bool:
        return self.earlier_index is None

    # Whether any step recorded each figure (a gap is None, or NaN where a float is kept)
    has_accuracy = property(lambda self: self._recorded("accuracies"))
    has_r2 = property(lambda self: self._recorded("r2s"))
    has_grad_norm = property(lambda self: self._recorded("grad_norms"))
    has_test = property(lambda self: self._recorded("test_losses"))

    def _recorded(self, name: str) -> bool:
        """Whether some step recorded the figure kept in the list `name`, looking only at the
        points added since the last answer: the Loss tab asks at every redraw, and a long run
        without a test set (or R²) was scanned whole each time (44,000 steps: 3.5 ms for the four)."""
        if name in self._found:
            return True
        points = getattr(self, name)
        start = self._looked.get(name, 0)
        if _any_recorded(itertools.islice(points, start, None)):
            self._found.add(name)
            return True
        self._looked[name] = len(points)
        return False

    @property
    def finished(self) -> bool:
        """It reached the steps it was expected to take."""
        return self.total_steps is not None and bool(self.steps) and self.steps[-1] >= self.total_steps

    def _append(self, result: StepLike) -> None:
        self.steps.append(int(result.step))
        self.losses.append(float(result.loss))
        self.accuracies.append(None if result.accuracy is None else float(result.accuracy))
        r2 = getattr(result, "r2", None)
        self.r2s.append(None if r2 is None else float(r2))
        self.grad_norms.append(_grad_norm(result))
        test_loss, test_accuracy = getattr(result, "test_loss", None), getattr(result, "test_accuracy", None)
        self.test_losses.append(math.nan if test_loss is None else float(test_loss))
        self.test_accuracies.append(None if test_accuracy is None else float(test_accuracy))

    def _clear(self) -> None:
        for points in (
            self.steps,
            self.losses,
            self.accuracies,
            self.r2s,
            self.grad_norms,
            self.test_losses,
            self.test_accuracies,
        ):
            points.clear()
        self._found.clear()
        self._looked.clear()
        self.revision += 1


def _any_recorded(points: list) -> bool:
    return any(p is not None and not math.isnan(p) for p in points)  # inf counts: the plot says so


def _grad_norm(result: StepLike) -> float:
    """The step's gradient norm, or NaN (a gap) if it has none or it is not a length."""
    norm = getattr(result, "grad_norm", math.nan)
    try:
        norm = float(norm)
    except (TypeError, ValueError):
        return math.nan
    return norm if norm >= 0 else math.nan  # NaN >= 0 is False too


class RunHistory:
    """Earlier runs, oldest first, then the current run; at most `max_runs` of them."""

    def __init__(self, max_runs: int = MAX_RUNS) -> None:
        if max_runs < 1:
            raise ValueError("a history keeps at least the current run")
        self._max_runs = max_runs
        self._runs: list[Run] = []
        self._earlier_count = 0  # runs that became earlier so far: each one's earlier_index

    @property
    def runs(self) -> list[Run]:
        """Earlier runs, oldest first, then the current run (a copy of the list, not of the runs)."""
        return list(self._runs)

    @property
    def current(self) -> Run | None:
        return self._runs[-1] if self._runs else None

    def start_run(self, label: str, total_steps: int | None = None) -> Run:
        """Begin a new current run; the old one, if it has points, becomes an earlier run.

        A current run without points is not worth keeping: it is renamed and reused instead."""
        total_steps = int(total_steps) if total_steps is not None and total_steps > 0 else None
        current = self.current
        if current is not None and not current.steps:
            current.label = label
            current.total_steps = total_steps
            return current
        if current is not None:
            current.earlier_index = self._earlier_count
            self._earlier_count += 1
        run = Run(label, total_steps=total_steps)
        self._runs.append(run)
        del self._runs[: -self._max_runs]  # the oldest go first
        return run

    def continue_current(self, label: str, total_steps: int | None = None) -> Run | None:
        """Go on in the current run under a new label and length, keeping its points (a reopened
        run that resumes: its saved steps stay, instead of being added all over again)."""
        run = self.current
        if run is not None:
            run.label = label
            run.total_steps = int(total_steps) if total_steps is not None and total_steps > 0 else None
            run.revision += 1
        return run

    def add_results(self, results: Iterable[StepLike]) -> Run | None:
        """Append steps (anything with .step, .loss, .accuracy and maybe .grad_norm) to the
        current run, starting an unnamed one if there is none; None if there were no steps."""
        results = list(results)
        if not results:
            return None
        run = self.current or self.start_run(f"run {len(self._runs) + 1}")
        for result in results:
            run._append(result)
        run.revision += 1
        return run

    def reset_current(self) -> None:
        """Forget the current run's points (earlier runs stay)."""
        if self.current is not None:
            self.current._clear()

    def clear_earlier(self) -> None:
        """Drop every earlier run; keep the current one."""
        del self._runs[:-1]

    def csv_text(self) -> str:
        """Every run's points, one row per step (the columns of CSV_COLUMNS), floats at repr
        precision so that they read back exactly; an unknown value is empty."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        for number, run in enumerate(self._runs, 1):
            figures = zip(run.accuracies, run.grad_norms, run.r2s, run.test_losses, run.test_accuracies)
            for step, loss, others in zip(run.steps, run.losses, figures):
                writer.writerow([number, run.label, step, repr(loss), *map(_cell, others)])
        return out.getvalue()


def _cell(value: float | None) -> str:
    return "" if value is None or math.isnan(value) else repr(value)

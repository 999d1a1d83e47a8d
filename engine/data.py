"""Datasets: the lecture's four samples, seeded 2-D presets, and CSV import/export.

Pure Python (no NumPy): every preset is made from one `random.Random(seed)`, so the
same arguments give the same floats on every machine.
"""

from __future__ import annotations

import copy as _copy
import csv
import io
import math
import os
import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from engine.files import FileProblem, atomic_write_bytes, describe_os_error, open_regular_file, too_large
from engine.tasks import TASKS, TaskError, check_classes, check_target, detect_task

MAX_SAMPLES = 100_000
MAX_COLUMNS = 4096  # inputs per sample: as many as a weights file may have
# Numbers in a dataset, inputs and targets together (100,000 samples of 9 inputs, or 244 of 4,096):
# reading and checking them stays well under a second, and a file within the byte limit cannot
# hold tens of millions of them that take a minute and gigabytes to refuse
MAX_VALUES = 1_000_000
MAX_CSV_BYTES = 50 * 1024 * 1024
MAX_CSV_LINE_BYTES = 1024 * 1024
# The largest value (either way) an input or a target may have: far past any measurement, and small
# enough that squares, products and spans of the data stay finite (a loss, an axis, a grid of the plane)
MAX_MAGNITUDE = 1e100
# What the Data panel's preset fields can show (its sample count has its own, lower limit)
DATA_SEED_RANGE = (0, 99_999)
NOISE_RANGE = (0.0, 1.0)


class DataError(ValueError):
    """Bad dataset input, with a message a user can act on."""


@dataclass(frozen=True)
class Recipe:
    """How a seeded preset made a dataset: `make()` makes the very same rows again.

    `classes` is None for the presets that take no number of classes.
    """

    preset: str
    samples: int
    noise: float
    seed: int
    classes: int | None = None

    def make(self) -> Dataset:
        extra = {} if self.classes is None else {"classes": self.classes}
        return make_preset(self.preset, self.samples, self.noise, self.seed, **extra)


@dataclass
class Dataset:
    """n samples: `inputs` is n rows of d numbers, `targets` one number per row.

    `task` says what the targets are (engine/tasks.py): "binary" (+1 / -1), "classes"
    (0 .. k-1) or "regression" (any finite numbers). `recipe` says how a preset made the
    data; data edited by hand, imported or of unknown making has none. Whoever edits the
    rows sets it to None; a test split or engineered inputs (engine/split.py, features.py)
    keep it, as the recipe of the data they were taken from.
    """

    inputs: list[list[float]]
    targets: list[float]
    name: str = "custom"
    task: str = "binary"
    recipe: Recipe | None = None

    @property
    def n_inputs(self) -> int:
        return len(self.inputs[0]) if self.inputs else 0

    @property
    def n_classes(self) -> int:
        """k for a dataset of several classes (its largest label + 1); 2 for two classes; 0 for regression."""
        if self.task == "classes":
            return int(max(self.targets)) + 1 if self.targets else 0
        return 2 if self.task == "binary" else 0

    @property
    def n_outputs(self) -> int:
        """How many outputs a network for this data has: one per class for "classes", else one."""
        return max(self.n_classes, 2) if self.task == "classes" else 1

    def __len__(self) -> int:
        return len(self.inputs)

    def validate(self) -> None:
        """Raise DataError unless this is a non-empty table of finite numbers."""
        if not self.inputs:
            raise DataError("the dataset is empty: add at least one sample")
        if len(self.inputs) > MAX_SAMPLES:
            raise DataError(f"the dataset has {len(self.inputs):,} samples; at most {MAX_SAMPLES:,}")
        if len(self.targets) != len(self.inputs):
            raise DataError(f"there are {len(self.inputs)} samples but {len(self.targets)} targets")
        width = self.n_inputs
        if width == 0:
            raise DataError("each sample needs at least one input")
        if width > MAX_COLUMNS:
            raise DataError(f"each sample has {width:,} inputs; at most {MAX_COLUMNS:,}")
        if len(self.inputs) * (width + 1) > MAX_VALUES:
            raise DataError(too_many_values(len(self.inputs), width + 1))
        for i, (row, target) in enumerate(zip(self.inputs, self.targets), start=1):
            _check_sample(i, row, target, width)
        self.check_targets()

    def check_targets(self, where: Callable[[int], str] | None = None) -> None:
        """Raise DataError unless every (finite) target fits the task; `where(i)` names 0-based sample i."""
        if not isinstance(self.task, str) or self.task not in TASKS:
            raise DataError(
                f"unknown kind of problem {short_text(self.task)}; choose one of {', '.join(TASKS)}"
            )
        where = where or (lambda i: f"sample {i + 1}")
        try:
            for i, target in enumerate(self.targets):
                check_target(self.task, target, where(i))
            if self.task == "classes":
                check_classes(self.targets)
        except TaskError as exc:
            raise DataError(str(exc)) from None

    def copy(self) -> Dataset:
        return _copy.deepcopy(self)


def too_many_values(samples: int, columns: int) -> str:
    return (
        f"the dataset holds {samples:,} samples of {columns:,} numbers, more than the "
        f"{MAX_VALUES:,} numbers a dataset may hold"
    )


def _check_sample(i: int, row: list, target: object, width: int) -> None:
    """Raise DataError unless sample `i` (1-based) has `width` finite inputs and a finite target."""
    if len(row) != width:
        raise DataError(f"sample {i} has {len(row)} inputs, expected {width}")
    for j, value in enumerate([*row, target], start=1):
        where = "target" if j > width else f"input {j}"
        if not _is_number(value):
            raise DataError(f"sample {i}, {where}: {short_text(value)} is not a number")
        if not math.isfinite(value):
            raise DataError(f"sample {i}, {where}: {short_text(value)} is not a finite number")
        if abs(value) > MAX_MAGNITUDE:
            raise DataError(f"sample {i}, {where}: {short_text(value)} {TOO_LARGE}")


TOO_LARGE = "is too large: a value must be from -1e100 to 1e100"  # MAX_MAGNITUDE


def _is_number(value: object) -> bool:
    # bool is an int subclass, but True as a coordinate is a mistake, not a number
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ---------------------------------------------------------------- presets


def lecture(**_ignored: object) -> Dataset:
    """The lecture's four samples of three inputs, targets +1/-1."""
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    return Dataset(xs, [1.0, -1.0, -1.0, 1.0], name="lecture")


def check_preset_args(n_samples: int, noise: float, seed: int = 0) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, int):
        raise DataError(f"the number of samples must be a whole number, not {short_text(n_samples)}")
    if not 1 <= n_samples <= MAX_SAMPLES:
        raise DataError(f"the number of samples must be between 1 and {MAX_SAMPLES:,}, not {n_samples}")
    low, high = NOISE_RANGE
    if not (_is_number(noise) and low <= noise <= high):
        raise DataError(f"noise must be a number from {low:g} to {high:g}, not {short_text(noise)}")
    low, high = DATA_SEED_RANGE
    if isinstance(seed, bool) or not isinstance(seed, int) or not low <= seed <= high:
        raise DataError(
            f"the data seed must be a whole number from {low} to {high:,}, not {short_text(seed)}"
        )


def short_text(value: object) -> str:
    """A value as a message shows it: short, whatever it is."""
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


PointFn = Callable[[random.Random, int, int, int], tuple[float, float]]


def _build(name: str, n_samples: int, noise: float, seed: int, point: PointFn) -> Dataset:
    """Make ceil(n/2) samples of class +1 and floor(n/2) of class -1, then shuffle them.

    `point(rng, label, i, count)` gives the noise-free (x, y) of the i-th of `count`
    samples of one class; Gaussian noise of std `noise` is added to both coordinates.
    """
    check_preset_args(n_samples, noise, seed)
    rng = random.Random(seed)
    samples = []
    for label, count in ((1, (n_samples + 1) // 2), (-1, n_samples // 2)):
        for i in range(count):
            x, y = point(rng, label, i, count)
            samples.append(([x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)], float(label)))
    # shuffled so that any prefix (a minibatch, the first rows of the table) holds both classes
    rng.shuffle(samples)
    recipe = Recipe(name, n_samples, float(noise), seed)
    return Dataset([s[0] for s in samples], [s[1] for s in samples], name=name, recipe=recipe)


def _fraction(i: int, count: int) -> float:
    """i / (count - 1), like one step of numpy.linspace(0, 1, count)."""
    return i / (count - 1) if count > 1 else 0.0


def _moon(rng: random.Random, label: int, i: int, count: int) -> tuple[float, float]:
    # sklearn's make_moons geometry, with its inner moon as +1 (as in micrograd's demo: y*2 - 1)
    t = math.pi * _fraction(i, count)
    return (1 - math.cos(t), 0.5 - math.sin(t)) if label == 1 else (math.cos(t), math.sin(t))


def _circle(rng: random.Random, label: int, i: int, count: int) -> tuple[float, float]:
    t = 2 * math.pi * i / count
    radius = 0.5 if label == 1 else 1.0
    return radius * math.cos(t), radius * math.sin(t)


def _xor(rng: random.Random, label: int, i: int, count: int) -> tuple[float, float]:
    # a random quadrant of the class (sign(x * y) == label), 0.1 clear of the axes so noise=0 has a margin
    sx = rng.choice((1, -1))
    return sx * rng.uniform(0.1, 1.0), sx * label * rng.uniform(0.1, 1.0)


def _spiral(rng: random.Random, label: int, i: int, count: int) -> tuple[float, float]:
    # one and a half turns growing out from the middle; class -1 is class +1 turned by half a turn
    s = _fraction(i, count)
    radius, angle = 0.1 + 0.9 * s, 3 * math.pi * s + (0.0 if label == 1 else math.pi)
    return radius * math.cos(angle), radius * math.sin(angle)


def _blob(rng: random.Random, label: int, i: int, count: int) -> tuple[float, float]:
    # a blob has its own spread (std 0.3) even at noise=0; centres (1, 1) and (-1, -1)
    return label + rng.gauss(0.0, 0.3), label + rng.gauss(0.0, 0.3)


def moons(n_samples: int = 100, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles (as sklearn's make_moons): x in [-1, 2], y in [-0.5, 1]."""
    return _build("moons", n_samples, noise, seed, _moon)


def circles(n_samples: int = 100, noise: float = 0.1, seed: int = 0) -> Dataset:
    """An inner circle of radius 0.5 (+1) inside a unit circle (-1)."""
    return _build("circles", n_samples, noise, seed, _circle)


def xor(n_samples: int = 100, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Points in the four quadrants of [-1, 1]^2, labelled by the sign of x*y (before noise)."""
    return _build("xor", n_samples, noise, seed, _xor)


def spiral(n_samples: int = 100, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaved spirals within the unit disc."""
    return _build("spiral", n_samples, noise, seed, _spiral)


def blobs(n_samples: int = 100, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two Gaussian blobs around (1, 1) (+1) and (-1, -1) (-1), split by the line x + y = 0."""
    return _build("blobs", n_samples, noise, seed, _blob)


PRESETS: dict[str, Callable[..., Dataset]] = {
    f.__name__: f for f in (lecture, moons, circles, xor, spiral, blobs)
}


def make_preset(
    name: str, n_samples: int = 100, noise: float = 0.1, seed: int = 0, classes: int = 3
) -> Dataset:
    """The preset called `name` (of `all_presets()`); the lecture preset ignores the other arguments,
    and only the presets of several classes use `classes`."""
    # imported here: engine/problem_presets.py builds on this module
    from engine.problem_presets import ALL_PRESETS, CLASS_PRESETS

    if name not in ALL_PRESETS:
        raise DataError(f"unknown dataset preset {name!r}; choose one of: {', '.join(ALL_PRESETS)}")
    check_preset_args(n_samples, noise, seed)
    extra = {"classes": classes} if name in CLASS_PRESETS else {}
    return ALL_PRESETS[name](n_samples=n_samples, noise=noise, seed=seed, **extra)


# ---------------------------------------------------------------- CSV


def dataset_to_csv_text(dataset: Dataset) -> str:
    """A header `x1,...,xd,y`, then one row per sample, the target last."""
    dataset.validate()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*(f"x{j}" for j in range(1, dataset.n_inputs + 1)), "y"])
    for row, target in zip(dataset.inputs, dataset.targets):
        # repr() is the shortest text that reads back as the very same float
        writer.writerow([repr(float(v)) for v in (*row, target)])
    return out.getvalue()


def _file_lines(text: TextIO, name: str) -> Iterator[str]:
    """The file's lines, one at a time, never more than MAX_CSV_BYTES in all.

    Lengths are counted in characters, which are never more than bytes; a line
    longer than MAX_CSV_LINE_BYTES is refused before it is split into values.
    """
    total = number = 0
    readline = text.readline
    while True:
        try:
            line = readline(MAX_CSV_LINE_BYTES + 1)
        except UnicodeDecodeError:
            where = f"at or soon after line {number + 1}"
            raise DataError(f"{name} is not UTF-8 text ({where}, some bytes are not characters)") from None
        if not line:
            return
        number += 1
        total += len(line)
        if total > MAX_CSV_BYTES:
            raise DataError(str(too_large(name, MAX_CSV_BYTES, "dataset CSV")))
        if len(line) > MAX_CSV_LINE_BYTES:
            raise DataError(
                f"line {number} of {name} is longer than {MAX_CSV_LINE_BYTES:,} bytes: not a dataset CSV"
            )
        yield line


def _parse_csv(
    lines: Iterable[str],
    name: str,
    max_rows: int,
    task: str | None = None,
    read_rows: Callable | None = None,
) -> Dataset:
    """A dataset from CSV lines: a header row, then rows of numbers whose last column is the target.

    Stops as soon as there are more than `max_rows` data rows. Rows in messages are
    counted as lines of the file (the header is row 1), as a text editor or a
    spreadsheet shows them. Blank lines are skipped. `task` None: detected from the
    targets by the rule of engine/tasks.py; else the targets must fit it. `read_rows`
    reads the data rows (engine/csv_rows.py: `read_rows`, the default, or `read_rows_fast`).
    """
    reader = csv.reader(lines, strict=True)  # strict: an unclosed quote is an error
    rows: list[int] = []
    try:
        header = next((_header(cells) for cells in reader if any(c.strip() for c in cells)), None)
        if header is None:
            raise DataError("the file is empty")
        inputs, targets = (read_rows or csv_rows.read_rows)(reader, header, max_rows, rows)
    except csv.Error as exc:
        raise DataError(f"row {reader.line_num} is not valid CSV: {_csv_reason(exc)}") from None
    if not inputs:
        raise DataError("the file has a header but no data rows")
    if task is None:  # detected: the targets fit it by the rule they were read by, no need to check them
        return Dataset(inputs, targets, name=name, task=detect_task(targets))
    dataset = Dataset(inputs, targets, name=name, task=task)
    column = csv_rows.quoted(header[-1])  # once, not once per row
    dataset.check_targets(lambda i: f"row {rows[i]}, column {column}")
    return dataset


def _parse_csv_text(text: str, name: str, max_rows: int, task: str | None) -> Dataset:
    """`_parse_csv` of `text`, a block of rows at a time (`read_rows_fast`); a text with anything
    that reading leaves to the row-by-row one is read again, from the start, row by row."""
    try:
        return _parse_csv(io.StringIO(text), name, max_rows, task, csv_rows.read_rows_fast)
    except csv_rows.Irregular:
        return _parse_csv(io.StringIO(text), name, max_rows, task, csv_rows.read_rows)


def _header(cells: list[str]) -> list[str]:
    header = [c.strip() or f"column {j}" for j, c in enumerate(cells, start=1)]
    if len(header) < 2:
        raise DataError("the file has only 1 column; it needs the inputs, then the target last")
    if len(header) > MAX_COLUMNS + 1:
        raise DataError(f"the file has {len(header):,} columns; at most {MAX_COLUMNS:,} inputs and a target")
    if all(csv_rows.to_float(c) is not None for c in cells):
        raise DataError("the first row must be a header naming the columns (e.g. x1,x2,y)")
    return header


def _csv_reason(exc: csv.Error) -> str:
    text = str(exc)
    if "field larger than field limit" in text:
        return "a value is far too long"
    if "unexpected end of data" in text or "quote" in text:
        return "a quote is not closed, or a quote is misplaced"
    if "new-line character" in text or "NUL" in text or "line contains" in text:
        return "a line break or a zero byte where a value should be"
    return "its quotes or separators cannot be read"


def dataset_from_csv_text(
    text: str, name: str = "custom", max_rows: int | None = None, task: str | None = None
) -> Dataset:
    """Parse CSV text (see `read_csv`)."""
    text = text.removeprefix("\ufeff")  # the byte-order mark Excel puts before UTF-8 CSV
    max_rows = MAX_SAMPLES if max_rows is None else max_rows
    return _parse_csv_text(text, name, max_rows, task)


def read_csv(path: str | os.PathLike, max_rows: int | None = None, task: str | None = None) -> Dataset:
    """Read a dataset CSV: a header row, then rows of numbers whose last column is the target.

    `task` None: what the targets are is detected (engine/tasks.py: all +1/-1 is two
    classes; whole numbers 0..k-1, k >= 3, each used, several classes; else regression);
    else the targets must fit that task, and a row that does not is named.

    Read line by line, never more than MAX_CSV_BYTES, and refused as soon as it has
    more than `max_rows` (default MAX_SAMPLES) data rows, so a huge file costs no
    more than the limit. The dataset is named after the file.
    """
    name = Path(path).name or str(path)
    max_rows = MAX_SAMPLES if max_rows is None else max_rows
    try:
        try:
            return _read_csv_file(path, name, max_rows, task, csv_rows.read_rows_fast)
        except csv_rows.Irregular:  # read again, row by row: the same dataset, or the message naming the row
            return _read_csv_file(path, name, max_rows, task, csv_rows.read_rows)
    except FileProblem as exc:
        raise DataError(str(exc)) from None
    except OSError as exc:
        raise DataError(describe_os_error(exc, name)) from None


def _read_csv_file(
    path: str | os.PathLike, name: str, max_rows: int, task: str | None, read_rows: Callable
) -> Dataset:
    with open_regular_file(path, "dataset CSV") as raw:
        if os.fstat(raw.fileno()).st_size > MAX_CSV_BYTES:  # early; the reading below is bounded anyway
            raise too_large(name, MAX_CSV_BYTES, "dataset CSV")
        # utf-8-sig drops the byte-order mark Excel writes; newline="" leaves line ends to csv
        text = io.TextIOWrapper(io.BufferedReader(raw, 1 << 16), encoding="utf-8-sig", newline="")
        return _parse_csv(_file_lines(text, name), Path(path).stem, max_rows, task, read_rows)


def write_csv(dataset: Dataset, path: str | os.PathLike) -> None:
    """Write `dataset` as CSV atomically: on any failure the old file stays as it was.

    A dataset `read_csv` would refuse is not written.
    """
    data = dataset_to_csv_text(dataset).encode("utf-8")
    if len(data) > MAX_CSV_BYTES:
        raise DataError(f"this dataset would make a CSV of more than {MAX_CSV_BYTES:,} bytes: not saved")
    atomic_write_bytes(path, data)


# The row readers build on this module (DataError, the limits): imported once it is defined
from engine import csv_rows  # noqa: E402

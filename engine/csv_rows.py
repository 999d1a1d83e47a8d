"""The data rows of a dataset CSV, after its header: row by row, or a block of rows at a time.

`read_rows` reads one row at a time and names the row and column of anything wrong.
`read_rows_fast` returns the very same for a file of plain rows (each on one line, as
wide as the header, every value a finite number), converting a block of rows in one
go; anything else raises `Irregular`, and engine/data.py reads the file again with
`read_rows`, which says what is wrong where. Rows are counted as lines of the file.
"""

from __future__ import annotations

import csv
import itertools
import math
from typing import Any

# the module, not its names: the limits are read when a file is (tests and callers may set them)
from engine import data
from engine.data import TOO_LARGE, DataError, too_many_values


def _row_limit(max_rows: int, width: int) -> int:
    return min(max_rows, data.MAX_VALUES // width)  # the rows of MAX_VALUES numbers


def _too_many_rows(max_rows: int, width: int) -> DataError:
    if (max_rows + 1) * width > data.MAX_VALUES:
        return DataError(
            f"the file has more than {max_rows:,} data rows: {too_many_values(max_rows + 1, width)}"
        )
    return DataError(f"the file has more than {max_rows:,} data rows; the limit is {max_rows:,}")


def read_rows(
    reader: Any, header: list[str], max_rows: int, rows: list[int]
) -> tuple[list[list[float]], list[float]]:
    """The data rows after the header: inputs and targets, at most `max_rows` of them; each one's
    line in the file is appended to `rows`."""
    inputs: list[list[float]] = []
    targets: list[float] = []
    width = len(header)
    max_rows = _row_limit(max_rows, width)
    isfinite, max_magnitude = math.isfinite, data.MAX_MAGNITUDE
    for cells in reader:
        if len(cells) != width:
            if not any(c.strip() for c in cells):
                continue  # a blank line
            raise DataError(f"row {reader.line_num} has {len(cells)} values, expected {width}")
        try:  # the fast path: a row of plain, finite numbers (a sum of them is finite or overflows)
            values = list(map(float, cells))
            if not isfinite(sum(values)) or max(map(abs, values)) > max_magnitude:  # no NaN gets here
                raise ValueError
        except ValueError:  # find which value is wrong, and say so
            values = [_parse_number(c, reader.line_num, col) for c, col in zip(cells, header)]
        if len(targets) == max_rows:
            raise _too_many_rows(max_rows, width)
        targets.append(values.pop())
        inputs.append(values)
        rows.append(reader.line_num)
    return inputs, targets


class Irregular(Exception):
    """`read_rows_fast` met something it leaves to `read_rows`, which names it in its message."""


FAST_BLOCK_ROWS = 512  # rows read and converted at a time: a few milliseconds, never the whole file


def read_rows_fast(
    reader: Any, header: list[str], max_rows: int, rows: list[int]
) -> tuple[list[list[float]], list[float]]:
    """What `read_rows` returns, for a file of plain rows: each on one line, as wide as the header,
    every value a finite number within data.MAX_MAGNITUDE (blank lines skipped).

    The rows are read a block at a time and their values converted in one go (the same
    `float` of each cell), instead of a Python loop per row: 2,000 rows take a third of
    the time. Anything else raises `Irregular`, for `read_rows` to read the file again.
    """
    inputs: list[list[float]] = []
    targets: list[float] = []
    width = len(header)
    max_rows = _row_limit(max_rows, width)
    while True:
        first = reader.line_num + 1  # the line of the block's first row
        try:  # no more rows than the one that would pass the limit
            block = list(itertools.islice(reader, min(FAST_BLOCK_ROWS, max_rows + 1 - len(targets))))
        except (csv.Error, DataError):  # said where it is, after the rows before it are checked
            raise Irregular from None
        if not block:
            return inputs, targets
        if reader.line_num - first + 1 != len(block):
            raise Irregular  # a quoted value over several lines: a row's line is not first + its index
        data = [cells for cells in block if len(cells) == width]
        if len(data) != len(block):
            if any(any(c.strip() for c in cells) for cells in block if len(cells) != width):
                raise Irregular  # a row of another width
            rows += [line for line, cells in enumerate(block, first) if len(cells) == width]
        else:
            rows += range(first, first + len(block))
        values = _finite_values([c for cells in data for c in cells])
        inputs += [values[i : i + width - 1] for i in range(0, len(values), width)]
        targets += values[width - 1 :: width]
        if len(targets) > max_rows:
            raise _too_many_rows(max_rows, width)


def _finite_values(cells: list[str]) -> list[float]:
    """float() of every cell, unless one is not a number, not finite or beyond data.MAX_MAGNITUDE (`Irregular`)."""
    try:
        values = list(map(float, cells))
    except ValueError:
        raise Irregular from None
    # a sum of finite values within MAX_MAGNITUDE (at most MAX_VALUES of them) is finite; NaN or inf is not
    if values and (not math.isfinite(sum(values)) or max(map(abs, values)) > data.MAX_MAGNITUDE):
        raise Irregular
    return values


def _parse_number(text: str, row: int, column: str) -> float:
    if not text.strip():
        raise DataError(f"row {row}, column {quoted(column)} is empty")
    value = to_float(text)
    if value is None:
        raise DataError(f"row {row}, column {quoted(column)}: {quoted(text)} is not a number")
    if not math.isfinite(value):
        raise DataError(f"row {row}, column {quoted(column)}: {text.strip()} is not a finite number")
    if abs(value) > data.MAX_MAGNITUDE:
        raise DataError(f"row {row}, column {quoted(column)}: {quoted(text.strip())} {TOO_LARGE}")
    return value


def to_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def quoted(text: str) -> str:
    return repr(text) if len(text) <= 30 else repr(text[:27] + "...")

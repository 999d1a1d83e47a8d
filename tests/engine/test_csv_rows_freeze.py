"""The block-at-a-time CSV reading (engine/csv_rows.py `read_rows_fast`) gives what the row-by-row
reading gives: the same dataset, or the same message naming the same row and column."""

from __future__ import annotations

import io
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import csv_rows, data
from engine.data import DataError, dataset_from_csv_text, moons, read_csv, write_csv


def row_by_row(text: str, max_rows: int = data.MAX_SAMPLES, task: str | None = None):
    """What the row-by-row reading makes of `text`: a dataset, or the message of its DataError."""
    try:
        return data._parse_csv(
            io.StringIO(text.removeprefix("\ufeff")), "t", max_rows, task, csv_rows.read_rows
        )
    except DataError as exc:
        return str(exc)


def as_read(text: str, max_rows: int = data.MAX_SAMPLES, task: str | None = None):
    try:
        return dataset_from_csv_text(text, "t", max_rows, task)
    except DataError as exc:
        return str(exc)


def same(a, b) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    bits = lambda rows: [[float(v).hex() for v in row] for row in rows]  # noqa: E731
    return (
        bits(a.inputs) == bits(b.inputs)
        and bits([a.targets]) == bits([b.targets])
        and (a.task, a.name) == (b.task, b.name)
    )


@pytest.fixture
def row_by_row_calls(monkeypatch) -> list[int]:
    """How many times the row-by-row reading ran (after the fast one gave up)."""
    calls: list[int] = []
    slow = csv_rows.read_rows

    def counted(*args):
        calls.append(1)
        return slow(*args)

    monkeypatch.setattr(csv_rows, "read_rows", counted)
    return calls


def test_a_plain_file_is_read_in_blocks_only(row_by_row_calls):
    text = "x1,x2,y\n" + "".join(f"{i * 0.1!r},{-i!r},{1 if i % 2 else -1}\n" for i in range(1500))
    ds = dataset_from_csv_text(text)
    assert row_by_row_calls == []
    assert len(ds) == 1500 and ds.inputs[7] == [0.7000000000000001, -7.0] and ds.targets[:2] == [-1.0, 1.0]
    assert ds.task == "binary"


@pytest.mark.parametrize(
    "text, message",
    [
        ("x1,x2,y\n1,2,1\n3,nan,1\n", "row 3, column 'x2': nan is not a finite number"),
        ("x1,x2,y\n1,2,1\n\n3,4,inf\n", "row 4, column 'y': inf is not a finite number"),
        ("x1,x2,y\n1,2,1\n3,-1e101,1\n", "row 3, column 'x2': '-1e101' is too large"),
        ("x1,x2,y\n1,2,1\n3,4\n", "row 3 has 2 values, expected 3"),
        ("x1,x2,y\n1,2,1\n3,4,5,6\n", "row 3 has 4 values, expected 3"),
        ('x1,x2,y\n"1\n",2,1\n3,oops,1\n', "row 4, column 'x2': 'oops' is not a number"),
        ("x1,x2,y\n1,2,1\n3,,1\n", "row 3, column 'x2' is empty"),
        ('x1,x2,y\n1,2,1\n3,"4,1\n', "row 3 is not valid CSV"),
    ],
)
def test_the_cell_at_fault_is_named_as_before(text, message, row_by_row_calls):
    with pytest.raises(DataError, match=message):
        dataset_from_csv_text(text)
    assert row_by_row_calls == [1]  # read again row by row, which names it
    assert as_read(text) == row_by_row(text)


def test_blank_lines_and_a_quoted_value_over_two_lines_keep_their_file_rows():
    blank = "x,y\n1,1\n\n\n2,-1\n   \n3,5\n"
    assert as_read(blank, task="binary") == "row 7, column 'y': target 5 is not +1 or -1, " + (
        "which a two-class dataset needs (for other numbers choose regression, for labels 0, 1, 2, ... several classes)"
    )
    spanning = 'x,y\n"1\n",1\n2,5\n'  # the value "1\n" is 1 for float(); its row is two lines
    assert as_read(spanning, task="binary").startswith("row 4, column 'y': target 5")
    assert same(as_read(blank), row_by_row(blank)) and same(as_read(spanning), row_by_row(spanning))


@pytest.mark.parametrize("rows", [2, 3, 4, 511, 512, 513, 1024, 1025])
def test_the_row_limit_is_said_as_before_at_any_block_edge(rows):
    text = "x1,x2,y\n" + "1,2,1\n" * rows
    for limit in (rows - 1, rows, rows + 1):
        assert same(as_read(text, max_rows=limit), row_by_row(text, max_rows=limit))
    assert (
        as_read(text, max_rows=rows - 1)
        == f"the file has more than {rows - 1:,} data rows; the limit is {rows - 1:,}"
    )


def test_a_bad_value_after_the_row_limit_is_not_reached():
    text = "x,y\n1,1\n2,1\n3,1\nnot,1\n"
    assert (
        as_read(text, max_rows=2)
        == row_by_row(text, max_rows=2)
        == ("the file has more than 2 data rows; the limit is 2")
    )


def test_the_limits_are_read_when_the_file_is(monkeypatch):
    monkeypatch.setattr(data, "MAX_MAGNITUDE", 10.0)
    assert (
        as_read("x,y\n1,1\n11,1\n")
        == "row 3, column 'x': '11' is too large: a value must be from -1e100 to 1e100"
    )
    monkeypatch.setattr(data, "MAX_VALUES", 4)
    assert as_read("x,y\n1,1\n2,1\n3,1\n").startswith(
        "the file has more than 2 data rows: the dataset holds 3"
    )


def test_a_file_is_read_again_from_its_start_when_the_blocks_give_up(tmp_path, row_by_row_calls):
    path = tmp_path / "d.csv"
    write_csv(moons(700, 0.1, 3), path)
    expected = row_by_row(path.read_text(encoding="utf-8"))
    row_by_row_calls.clear()
    ds = read_csv(path)
    assert row_by_row_calls == []
    assert ds.name == "d" and same(expected, data.Dataset(ds.inputs, ds.targets, "t", ds.task))
    with path.open("a", encoding="utf-8") as f:
        f.write("1.0,2.0\n")  # row 702: two values
    with pytest.raises(DataError, match="row 702 has 2 values, expected 3"):
        read_csv(path)
    assert row_by_row_calls == [1]


CELLS = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=64).map(repr),
    st.sampled_from(
        ["1", "-1", "0", "2", " 3 ", "1e101", "-1e100", "nan", "inf", "", "x", '"4"', '"5\n"', "1_0"]
    ),
)
LINES = st.one_of(
    st.lists(CELLS, min_size=3, max_size=3).map(",".join),
    st.lists(CELLS, min_size=1, max_size=4).map(",".join),
    st.sampled_from(["", "  ", ",,", '"open', "1,1,1\r"]),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(LINES, max_size=12),
    st.sampled_from([None, "binary", "regression", "classes"]),
    st.integers(1, 8),
    st.sampled_from(["\n", "\r\n"]),
)
def test_any_text_reads_as_it_does_row_by_row(lines, task, max_rows, newline):
    text = newline.join(["x1,x2,y", *lines]) + newline
    assert same(as_read(text, max_rows, task), row_by_row(text, max_rows, task))


def test_targets_detected_need_no_second_check():
    ds = dataset_from_csv_text("x,y\n1,0\n2,1\n3,2\n")
    assert ds.task == "classes" and ds.n_classes == 3
    ds.check_targets()  # what was skipped holds
    assert math.isclose(dataset_from_csv_text("x,y\n1,0.5\n").targets[0], 0.5)

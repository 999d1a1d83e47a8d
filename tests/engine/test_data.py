"""Tests for engine/data.py: presets, Dataset checks, CSV import/export."""

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import data
from engine.data import DataError, Dataset
from engine.tasks import detect_task

GENERATED = ["moons", "circles", "xor", "spiral", "blobs"]


def bits(dataset: Dataset) -> list[str]:
    """Every float of a dataset as exact hex, so that 0.0 and -0.0 differ."""
    return [float(v).hex() for row in dataset.inputs for v in row] + [float(t).hex() for t in dataset.targets]


# ---------------------------------------------------------------- presets


def test_lecture_has_the_lectures_exact_samples():
    d = data.lecture()
    assert d.inputs == [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    assert d.targets == [1.0, -1.0, -1.0, 1.0]
    assert (d.name, len(d), d.n_inputs) == ("lecture", 4, 3)


def test_presets_table_names_every_preset():
    assert list(data.PRESETS) == ["lecture", *GENERATED]
    for name, make in data.PRESETS.items():
        assert make(n_samples=10, noise=0.1, seed=1).name == name


def test_lecture_preset_ignores_sample_count_noise_and_seed():
    assert data.make_preset("lecture", n_samples=50, noise=0.5, seed=9) == data.lecture()


@pytest.mark.parametrize("name", GENERATED)
def test_preset_is_reproducible_for_a_seed_and_changes_with_it(name):
    first = data.make_preset(name, n_samples=40, noise=0.1, seed=3)
    assert bits(first) == bits(data.make_preset(name, n_samples=40, noise=0.1, seed=3))
    assert first.inputs != data.make_preset(name, n_samples=40, noise=0.1, seed=4).inputs


@pytest.mark.parametrize("name", GENERATED)
def test_noise_moves_the_points(name):
    clean = data.make_preset(name, n_samples=40, noise=0.0, seed=0)
    assert clean.inputs != data.make_preset(name, n_samples=40, noise=0.3, seed=0).inputs


@pytest.mark.parametrize("name", GENERATED)
@pytest.mark.parametrize("n", [1, 2, 7, 100])
def test_preset_shape_and_class_balance(name, n):
    d = data.make_preset(name, n_samples=n, seed=1)
    d.validate()
    assert (len(d), d.n_inputs, len(d.targets)) == (n, 2, n)
    assert all(len(row) == 2 for row in d.inputs)
    assert d.targets.count(1.0) == (n + 1) // 2  # odd n: class +1 gets the extra sample
    assert d.targets.count(-1.0) == n // 2


@pytest.mark.parametrize("name", GENERATED)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_preset_points_lie_roughly_in_the_plot_square(name, seed):
    d = data.make_preset(name, n_samples=200, noise=0.1, seed=seed)
    assert all(-2.5 <= v <= 2.5 for row in d.inputs for v in row)


@pytest.mark.parametrize("name", GENERATED)
def test_preset_rows_are_shuffled_so_a_prefix_holds_both_classes(name):
    assert set(data.make_preset(name, n_samples=100, seed=0).targets[:10]) == {1.0, -1.0}


def test_noise_free_moons_lie_on_sklearns_half_circles():
    d = data.moons(n_samples=51, noise=0.0)
    for (x, y), t in zip(d.inputs, d.targets):
        cx, cy, upper = (1.0, 0.5, False) if t == 1.0 else (0.0, 0.0, True)
        assert math.hypot(x - cx, y - cy) == pytest.approx(1.0)
        assert (y >= cy - 1e-12) if upper else (y <= cy + 1e-12)


def test_noise_free_circles_have_inner_radius_half_and_outer_radius_one():
    d = data.circles(n_samples=30, noise=0.0)
    for (x, y), t in zip(d.inputs, d.targets):
        assert math.hypot(x, y) == pytest.approx(0.5 if t == 1.0 else 1.0)


def test_noise_free_xor_is_labelled_by_the_sign_of_x_times_y():
    d = data.xor(n_samples=200, noise=0.0)
    assert all(math.copysign(1.0, x * y) == t for (x, y), t in zip(d.inputs, d.targets))
    assert all(0.1 <= abs(v) <= 1.0 for row in d.inputs for v in row)


def test_noise_free_spirals_are_each_others_half_turn():
    d = data.spiral(n_samples=40, noise=0.0)
    plus = sorted((round(x, 9), round(y, 9)) for (x, y), t in zip(d.inputs, d.targets) if t == 1.0)
    minus = sorted(
        (round(-x, 9) + 0.0, round(-y, 9) + 0.0) for (x, y), t in zip(d.inputs, d.targets) if t == -1.0
    )
    assert plus == minus
    assert all(math.hypot(x, y) <= 1.0 + 1e-12 for x, y in d.inputs)


def test_blobs_are_split_by_the_line_x_plus_y_equals_zero():
    d = data.blobs(n_samples=300, noise=0.1, seed=5)
    assert all(math.copysign(1.0, x + y) == t for (x, y), t in zip(d.inputs, d.targets))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"name": "wavy"}, "unknown dataset preset 'wavy'"),
        ({"name": "moons", "n_samples": 0}, "between 1 and 100,000"),
        ({"name": "moons", "n_samples": -5}, "between 1 and 100,000"),
        ({"name": "moons", "n_samples": 100_001}, "between 1 and 100,000"),
        ({"name": "moons", "n_samples": 2.5}, "whole number"),
        ({"name": "moons", "n_samples": True}, "whole number"),
        ({"name": "lecture", "n_samples": 0}, "between 1 and 100,000"),
        ({"name": "circles", "noise": -0.1}, "noise must be"),
        ({"name": "circles", "noise": math.nan}, "noise must be"),
        ({"name": "circles", "noise": math.inf}, "noise must be"),
        ({"name": "circles", "noise": "0.1"}, "noise must be"),
    ],
)
def test_make_preset_rejects_bad_arguments(kwargs, message):
    with pytest.raises(DataError, match=message):
        data.make_preset(**kwargs)


def test_unknown_preset_message_lists_the_choices():
    with pytest.raises(DataError, match="lecture, moons, circles, xor, spiral, blobs"):
        data.make_preset("Moons")


def test_make_preset_accepts_the_sample_limits():
    assert len(data.make_preset("xor", n_samples=1)) == 1
    assert len(data.make_preset("xor", n_samples=100_000)) == 100_000


# ---------------------------------------------------------------- Dataset


def test_empty_dataset_has_no_inputs_and_fails_validation():
    empty = Dataset([], [])
    assert (len(empty), empty.n_inputs, empty.name) == (0, 0, "custom")
    with pytest.raises(DataError, match="empty"):
        empty.validate()


def test_copy_is_deep():
    original = data.lecture()
    clone = original.copy()
    clone.inputs[0][0] = 99.0
    clone.targets[0] = 0.0
    clone.inputs.append([0.0, 0.0, 0.0])
    assert original == data.lecture()
    assert clone.name == "lecture"


@pytest.mark.parametrize(
    ("inputs", "targets", "message"),
    [
        ([[1.0, 2.0], [3.0]], [1.0, -1.0], "sample 2 has 1 inputs, expected 2"),
        ([[1.0], [2.0]], [1.0], "2 samples but 1 targets"),
        ([[], []], [1.0, 1.0], "at least one input"),
        ([[1.0, math.nan]], [1.0], "sample 1, input 2: nan is not a finite number"),
        ([[1.0, 2.0]], [math.inf], "sample 1, target: inf is not a finite number"),
        ([[1.0, "abc"]], [1.0], "sample 1, input 2: 'abc' is not a number"),
        ([[None]], [1.0], "sample 1, input 1: None is not a number"),
        ([[1.0]], [True], "sample 1, target: True is not a number"),
    ],
)
def test_validate_rejects_bad_datasets(inputs, targets, message):
    with pytest.raises(DataError, match=message):
        Dataset(inputs, targets).validate()


def test_validate_accepts_ints():
    Dataset([[1, 2]], [-1]).validate()


# ---------------------------------------------------------------- CSV


def test_csv_text_has_a_header_and_the_target_last():
    text = data.dataset_to_csv_text(Dataset([[0.1, -2.0]], [1.0]))
    assert text == "x1,x2,y\n0.1,-2.0,1.0\n"


@pytest.mark.parametrize("name", ["lecture", *GENERATED])
def test_csv_round_trip_is_bit_for_bit(name):
    d = data.make_preset(name, n_samples=50, noise=0.2, seed=7)
    back = data.dataset_from_csv_text(data.dataset_to_csv_text(d))
    assert bits(back) == bits(d)
    assert back.n_inputs == d.n_inputs


# every value a dataset may hold (beyond MAX_MAGNITUDE, squares and spans of the data overflow)
finite = st.floats(min_value=-data.MAX_MAGNITUDE, max_value=data.MAX_MAGNITUDE)


@given(
    st.integers(1, 4).flatmap(
        lambda d: st.lists(st.lists(finite, min_size=d + 1, max_size=d + 1), min_size=1)
    )
)
def test_csv_round_trip_of_any_finite_floats(rows):
    targets = [r[-1] for r in rows]
    d = Dataset([r[:-1] for r in rows], targets, task=detect_task(targets))
    again = data.dataset_from_csv_text(data.dataset_to_csv_text(d))
    assert bits(again) == bits(d)
    assert again.task == d.task


def test_file_round_trip_names_the_dataset_after_the_file(tmp_path):
    path = tmp_path / "my moons.csv"
    d = data.moons(n_samples=21, seed=2)
    data.write_csv(d, path)
    back = data.read_csv(path)
    assert bits(back) == bits(d)
    assert back.name == "my moons"


def test_csv_tolerates_blank_lines_crlf_spaces_and_a_byte_order_mark():
    d = data.dataset_from_csv_text("\ufeffa, b ,target\r\n1, 2,3\r\n\r\n4,5 ,-6\r\n\r\n\n")
    assert (d.inputs, d.targets) == ([[1.0, 2.0], [4.0, 5.0]], [3.0, -6.0])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("  \n\n", "the file is empty"),
        ("x1,x2,y\n", "header but no data rows"),
        ("x1,x2,y\n\n\n", "header but no data rows"),
        ("y\n1\n2\n", "only 1 column; it needs the inputs, then the target"),
        ("1,2,3\n4,5,6\n", "first row must be a header"),
        ("x1,x2,y\n1,2,3\n4,5,6\n1,2,3\n7,8\n", "row 5 has 2 values, expected 3"),
        ("x1,x2,y\n1,2,3\n4,5,6,7\n", "row 3 has 4 values, expected 3"),
        ("x1,x2,y\n1,2,3\n4,abc,6\n", "row 3, column 'x2': 'abc' is not a number"),
        ("x1,x2,y\n1,2,3\n4,5,6\n7,8,9\n1,2,nan\n", "row 5, column 'y': nan is not a finite number"),
        ("x1,x2,y\n-inf,2,3\n", "row 2, column 'x1': -inf is not a finite number"),
        ("x1,x2,y\n1,,3\n", "row 2, column 'x2' is empty"),
        ('x1,y\n1,"2\n', "row 2 is not valid CSV"),
    ],
)
def test_bad_csv_text_says_what_and_where(text, message):
    with pytest.raises(DataError, match=message):
        data.dataset_from_csv_text(text)


def test_rows_are_counted_as_file_lines_even_after_blank_lines():
    with pytest.raises(DataError, match="row 4, column 'y'"):
        data.dataset_from_csv_text("x,y\n1,2\n\n3,oops\n")


def test_read_csv_refuses_a_file_over_the_size_limit(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    path.write_text("x,y\n1,2\n" * 10)
    monkeypatch.setattr(data, "MAX_CSV_BYTES", 40)
    with pytest.raises(DataError, match="too large"):
        data.read_csv(path)


def test_read_csv_refuses_non_utf8(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("x,\u00e9t\u00e9\n1,2\n".encode("latin-1"))
    with pytest.raises(DataError, match="not UTF-8"):
        data.read_csv(path)


def test_write_csv_refuses_an_invalid_dataset_and_leaves_the_file(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("old")
    with pytest.raises(DataError, match="not a finite number"):
        data.write_csv(Dataset([[math.nan]], [1.0]), path)
    assert path.read_text() == "old"


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch, failing):
    path = tmp_path / "d.csv"
    data.write_csv(data.lecture(), path)
    old = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match="disk full"):
        data.write_csv(data.moons(n_samples=10), path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["d.csv"]


def test_engine_data_imports_no_numpy_or_gui_libraries():
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys, engine.data; "
        "bad = [m for m in ('numpy', 'PySide6', 'matplotlib', 'graphviz') if m in sys.modules]; "
        "sys.exit(', '.join(bad) or None)"
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, cwd=root, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_read_csv_takes_up_to_max_rows_and_refuses_more_naming_the_limit(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("x,y\n1,1\n2,-1\n\n3,1\n")
    assert len(data.read_csv(path, max_rows=3)) == 3
    with pytest.raises(DataError, match="more than 2 data rows; the limit is 2"):
        data.read_csv(path, max_rows=2)


def test_read_csv_stops_reading_as_soon_as_the_row_limit_is_passed(tmp_path):
    # the file ends in bytes that are not text: only a reader that stops early can say "limit"
    path = tmp_path / "d.csv"
    path.write_bytes(b"x,y\n" + b"1,1\n" * 200_000 + b"\xff\xfe not csv \x00" * 100_000)
    with pytest.raises(DataError, match="more than 3 data rows; the limit is 3"):
        data.read_csv(path, max_rows=3)


def test_read_csv_by_default_takes_at_most_max_samples_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "MAX_SAMPLES", 2)
    path = tmp_path / "d.csv"
    path.write_text("x,y\n1,1\n2,-1\n3,1\n")
    with pytest.raises(DataError, match="the limit is 2"):
        data.read_csv(path)


def test_read_csv_accepts_a_byte_order_mark_and_crlf(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfx1,y\r\n1.5,-1\r\n")
    d = data.read_csv(path)
    assert (d.inputs, d.targets, d.name) == ([[1.5]], [-1.0], "excel")


def test_read_csv_refuses_an_endless_line_without_reading_the_file_whole(tmp_path):
    path = tmp_path / "one-line.csv"
    path.write_bytes(b"x,y," + b"1," * (data.MAX_CSV_LINE_BYTES // 2 + 10))
    with pytest.raises(DataError, match="line 1 of one-line.csv is longer than 1,048,576 bytes"):
        data.read_csv(path)


def test_read_csv_refuses_more_columns_than_a_model_can_take(tmp_path):
    path = tmp_path / "wide.csv"
    header = ",".join(f"x{i}" for i in range(data.MAX_COLUMNS + 1)) + ",y\n"
    path.write_text(header + ",".join(["1"] * (data.MAX_COLUMNS + 2)) + "\n")
    with pytest.raises(DataError, match="4,098 columns; at most 4,096 inputs and a target"):
        data.read_csv(path)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(seed=-5), "the data seed must be a whole number from 0 to 99,999, not -5"),
        (dict(seed=100_000), "the data seed must be a whole number from 0 to 99,999"),
        (dict(seed=1.5), "the data seed must be a whole number"),
        (dict(noise=1.5), "noise must be a number from 0 to 1, not 1.5"),
    ],
)
def test_presets_refuse_seeds_and_noise_outside_the_data_panels_ranges(kwargs, message):
    assert data.DATA_SEED_RANGE == (0, 99_999) and data.NOISE_RANGE == (0.0, 1.0)
    with pytest.raises(DataError, match=message):
        data.make_preset("moons", **kwargs)

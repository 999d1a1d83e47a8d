"""gui/processes/packed.py: what a child sends back is rebuilt as the very same tree, in short steps."""

from __future__ import annotations

import math
import pickle
import struct
from dataclasses import dataclass

import pytest

from engine.session import Session
from engine.train import StepResult
from gui.processes import packed
from gui.processes.packed import Groups, Numbers, pack, unpack


@dataclass(frozen=True)
class Frozen:
    name: str
    values: tuple


def same(a: object, b: object) -> bool:
    """Equal values of the same types all the way down, NaN and -0.0 bit for bit."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return struct.pack("<d", a) == struct.pack("<d", b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if hasattr(a, "__dict__") and not isinstance(a, type):
        return same(vars(a), vars(b))
    return a == b


TREES = {
    "floats": [0.5] * 40 + [-0.0, math.nan, math.inf, -math.inf, 5e-324],
    "ints, one past 64 bits": [1] * 20 + [2**64],
    "ints": list(range(-5, 100)),
    "bools stay bools": [True, False] * 20,
    "mixed": [1, 1.0, "1", None, True] * 10,
    "tuples": tuple(float(i) for i in range(50)),
    "rows": [[float(i), float(-i)] for i in range(100)],
    "ragged tuple rows": [tuple(0.25 for _ in range(i % 5)) for i in range(60)],
    "rows with an int": [[1.0, 2.0]] * 30 + [[1.0, 2]],
    "empty": [[], (), {}, ""],
    "records": [StepResult(i, 0.1 * i, None, 0.01, 1.0, (0.5, 0.25)) for i in range(1, 40)],
    "frozen dataclass": Frozen("x", (1.0, 2.0)),
    "a big dict": {f"key{i}": [i, {"x": float(i)}] for i in range(30_000)},
    "a big list of small objects": [{"a": i, "b": [i, "s"]} for i in range(40_000)],
    "nested": {"a": [{"b": [[0.5] * 20] * 20}], "c": (1, (2, (3,)))},
}


@pytest.mark.parametrize("name", TREES)
def test_unpack_gives_back_the_same_tree(name):
    tree = TREES[name]
    assert same(unpack(pickle.loads(pickle.dumps(pack(tree)))), tree)


def test_a_trained_session_comes_back_equal():
    from test_big_file_open import trained_session

    session = trained_session(steps=200)
    back = unpack(pickle.loads(pickle.dumps(pack(session))))
    assert type(back) is Session and back == session and same(back, session)


def test_long_runs_of_numbers_travel_as_bytes_and_large_lists_in_groups():
    assert type(pack([0.5] * 1000)) is Numbers
    assert type(pack(list(range(1000)))) is Numbers
    grouped = pack([{"a": i} for i in range(100_000)])
    assert type(grouped) is Groups and len(grouped.groups) > 1
    for group in grouped.groups:  # each group is unpickled by one call: it stays small
        assert len(pickle.loads(group)) * 2 <= packed.GROUP_COST

"""Plain-data trees (a Session, ModelWeights) packed so that the window's process rebuilds them in small steps.

A child process that loaded a big file sends the result back as a pickle. Unpickling
it is one C call that holds the interpreter (the GIL) for the whole object: for the
largest session (1.4 million floats and a 40,000-step history) 0.2-0.3 s here, a
frozen window. So the child sends it packed: runs of numbers as arrays of machine
floats or integers (bytes, which the reader reads straight from the pipe), lists of
records (the loss history) as columns, and any other large list or object as groups
pickled apart. `unpack` rebuilds the very same tree (equal values, the same types)
in Python-level steps, none of which turns more than `SLICE` numbers or `GROUP_COST`
objects into Python objects at once: between two steps the GUI thread gets the GIL.

No Qt here: the child imports this module.
"""

from __future__ import annotations

import pickle
from array import array
from dataclasses import dataclass, is_dataclass
from typing import Any

MIN_RUN = 16  # a shorter list of numbers stays a list: packing it would cost more than it saves
SLICE = 32_768  # numbers turned into Python objects by one C call (about a millisecond here)
GROUP_COST = 20_000  # objects unpickled by one C call, at most (a few milliseconds here)
ATOMS = (str, bytes, int, float, bool, type(None), complex)

# ---- the packed forms (each names what it was: "list" or "tuple")


@dataclass(frozen=True)
class Numbers:
    """A list or tuple of floats only (typecode 'd') or of ints only ('q'), as the machine's bytes."""

    values: bytes
    typecode: str
    kind: str


@dataclass(frozen=True)
class FloatRows:
    """A list or tuple of rows (all lists or all tuples) of floats: a matrix, or ragged."""

    flat: bytes  # doubles: the rows one after another
    lengths: bytes  # 64-bit integers: each row's length
    kind: str
    row_kind: str


@dataclass(frozen=True)
class Records:
    """A list or tuple of instances of one class (a dataclass), as one packed column per attribute."""

    cls: type
    names: tuple[str, ...]
    columns: tuple[Any, ...]
    kind: str


@dataclass(frozen=True)
class Groups:
    """A large list, tuple or dict (kind "dict": its (key, value) pairs): its packed items in groups,
    each pickled apart so that each is unpickled by a call of its own."""

    groups: tuple[bytes, ...]
    kind: str


@dataclass(frozen=True)
class Instance:
    """An object rebuilt as pickle does it: `cls.__new__(cls)`, then its attributes (`state`, packed)."""

    cls: type
    state: Any


_KINDS = {"list": list, "tuple": tuple}


# ---- the child's end


def pack(value: object) -> object:
    """`value` packed for `unpack` (see the module's docstring)."""
    return _pack(value)[0]


def _pack(value: object) -> tuple[object, int]:
    """(the packed value, about how many objects unpickling it creates)."""
    kind = type(value)
    if kind in ATOMS:
        return value, 1
    if kind in (list, tuple):
        return _pack_sequence(value, kind.__name__)
    if kind is dict:
        pairs = [(key, *_pack(item)) for key, item in value.items()]
        packed, cost = _grouped([(key, item) for key, item, _ in pairs], [c + 2 for *_, c in pairs])
        return (Groups(packed, "dict") if isinstance(packed, tuple) else dict(packed)), cost
    if is_dataclass(value) and hasattr(value, "__dict__"):
        state, cost = _pack(dict(vars(value)))
        return Instance(kind, state), cost + 1
    return value, 1  # anything else (small by nature here): pickled as it is


def _pack_sequence(items: list | tuple, kind: str) -> tuple[object, int]:
    if len(items) >= MIN_RUN:
        packed = _numbers(items, kind) or _float_rows(items, kind) or _records(items, kind)
        if packed is not None:
            return packed
    each = [_pack(item) for item in items]
    packed_items, cost = _grouped([item for item, _ in each], [c for _, c in each])
    if isinstance(packed_items, tuple):
        return Groups(packed_items, kind), cost
    return (packed_items if kind == "list" else tuple(packed_items)), cost


def _grouped(items: list, costs: list[int]) -> tuple[list | tuple[bytes, ...], int]:
    """`items` as they are if they are cheap to unpickle together, else a tuple of pickled groups."""
    total = sum(costs) + 1
    if total <= GROUP_COST:
        return items, total
    groups, group, group_cost = [], [], 0
    for item, cost in zip(items, costs):
        if group and group_cost + cost > GROUP_COST:
            groups.append(pickle.dumps(group, protocol=pickle.HIGHEST_PROTOCOL))
            group, group_cost = [], 0
        group.append(item)
        group_cost += cost
    groups.append(pickle.dumps(group, protocol=pickle.HIGHEST_PROTOCOL))
    return tuple(groups), len(groups) + 1


def _numbers(items: list | tuple, kind: str) -> tuple[Numbers, int] | None:
    first = type(items[0])
    if first not in (float, int) or not all(type(v) is first for v in items):
        return None
    try:
        typecode = "d" if first is float else "q"
        return Numbers(array(typecode, items).tobytes(), typecode, kind), 2
    except OverflowError:  # an integer beyond 64 bits: left as it is
        return None


def _float_rows(items: list | tuple, kind: str) -> tuple[FloatRows, int] | None:
    row_type = type(items[0])
    if row_type not in (list, tuple) or not all(type(row) is row_type for row in items):
        return None
    if not all(type(v) is float for row in items for v in row):
        return None
    flat = array("d")
    for row in items:
        flat.extend(row)
    return FloatRows(flat.tobytes(), array("q", map(len, items)).tobytes(), kind, row_type.__name__), 3


def _records(items: list | tuple, kind: str) -> tuple[Records, int] | None:
    cls = type(items[0])
    if not is_dataclass(cls) or not all(type(item) is cls for item in items):
        return None
    if not all(hasattr(item, "__dict__") for item in items):
        return None
    names = tuple(vars(items[0]))
    if not all(tuple(vars(item)) == names for item in items):
        return None
    columns, cost = [], 1
    for name in names:
        column, column_cost = _pack([getattr(item, name) for item in items])
        columns.append(column)
        cost += column_cost
    return Records(cls, names, tuple(columns), kind), cost


# ---- the parent's end


def unpack(value: object) -> object:
    """The tree `pack` packed, rebuilt; each step is short (see the module's docstring)."""
    kind = type(value)
    if kind in ATOMS:
        return value
    rebuild = _REBUILD.get(kind)
    if rebuild is not None:
        return rebuild(value)
    if kind is list:
        return [unpack(item) for item in value]
    if kind is tuple:
        return tuple(unpack(item) for item in value)
    if kind is dict:
        return {key: unpack(item) for key, item in value.items()}
    return value


def _unpack_numbers(packed: Numbers) -> list | tuple:
    return _KINDS[packed.kind](_to_list(packed.values, packed.typecode))


def _unpack_groups(packed: Groups) -> list | tuple | dict:
    items = [unpack(item) for group in packed.groups for item in pickle.loads(group)]
    return dict(items) if packed.kind == "dict" else _KINDS[packed.kind](items)


def _unpack_instance(packed: Instance) -> object:
    obj = packed.cls.__new__(packed.cls)  # as pickle rebuilds an object: no __init__ (frozen ones too)
    obj.__dict__.update(unpack(packed.state))
    return obj


def _to_list(data: bytes, typecode: str) -> list:
    """The numbers in `data`, made Python objects a slice at a time (a memoryview: nothing is copied)."""
    values = memoryview(data).cast(typecode)
    out: list = []
    for start in range(0, len(values), SLICE):
        out.extend(values[start : start + SLICE].tolist())
    return out


def _unpack_rows(packed: FloatRows) -> list | tuple:
    flat = _to_list(packed.flat, "d")
    make_row = _KINDS[packed.row_kind]
    rows, start = [], 0
    for length in _to_list(packed.lengths, "q"):
        rows.append(make_row(flat[start : start + length]))
        start += length
    return _KINDS[packed.kind](rows)


def _unpack_records(packed: Records) -> list | tuple:
    columns = [unpack(column) for column in packed.columns]
    cls, names, records = packed.cls, packed.names, []
    for row in zip(*columns):
        record = cls.__new__(cls)
        record.__dict__.update(zip(names, row))
        records.append(record)
    return _KINDS[packed.kind](records)


_REBUILD = {
    Numbers: _unpack_numbers,
    FloatRows: _unpack_rows,
    Records: _unpack_records,
    Groups: _unpack_groups,
    Instance: _unpack_instance,
}

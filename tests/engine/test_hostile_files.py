"""Hundreds of generated bad files thrown at every loader.

Random bytes, truncated files, files with random bytes changed, and valid files
with a hostile value put in every field in turn. Each load must either succeed
or raise the loader's own error class with a message about the file: never
another exception, never Python's own wording. A session that loads must be
trainable as it is (what the window does with it next).
"""

from __future__ import annotations

import io
import json
import random
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine import weights
from engine.data import DataError, Dataset, lecture, read_csv, write_csv
from engine.nn import MLP
from engine.session import Session, SessionError, load_session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.train import StepResult, Trainer
from engine.weights import ModelWeights, WeightsError

SEED = 8
# Wording that belongs to Python, not to a message about a user's file
INTERNAL_WORDING = [
    "Traceback",
    "unexpected keyword",
    "argument",
    "takes ",
    "sys.",
    "int_max_str_digits",
    "utf-8-sig",
    "codec",
    "Errno",
    "NoneType",
    "has no attribute",
    "not subscriptable",
    "not iterable",
    "unhashable",
    "invalid literal",
    "could not convert",
    "JSONDecodeError",
    "Expecting",
    "object of type",
    "' object",
    "<class",
    "positional argument",
    "keyword argument",
    "BadZipFile",
    "zlib",
    "struct.error",
    "allow_pickle",
]
HOSTILE_VALUES: list[object] = [
    None,
    True,
    -1,
    0,
    2**31,
    2**64,
    1.5,
    -0.0,
    1e-320,
    "",
    "4",
    "٣",
    "x" * 300,
    [],
    [[]],
    {},
    {"a": [1, {"b": None}]},
]
HOSTILE_TOKENS = ["Infinity", "-Infinity", "NaN", "1e999", "9" * 5000, "-" + "9" * 400, "[" * 5000]


# ---------------------------------------------------------------- valid files to start from


def _weights() -> ModelWeights:
    return ModelWeights.from_model(MLP(3, [4, 4, 1], seed=1), {"note": "hostile"})


def _session() -> Session:
    history = [StepResult(1, 2.5, 0.5, 0.05, 1.0), StepResult(2, 2.0, 0.75, 0.05, 0.9)]
    return Session(lecture(), ModelSpec(), TrainSettings(batch_size=2), _weights(), history)


def _valid_bytes(kind: str, folder: Path) -> bytes:
    path = folder / f"valid.{kind}"
    if kind == "weights.json":
        weights.save_json(_weights(), path)
    elif kind == "npz":
        weights.save_npz(_weights(), path)
    elif kind == "session.json":
        save_session(_session(), path)
    else:
        write_csv(lecture(), path)
    return path.read_bytes()


def _load_session_and_train(path: Path) -> object:
    session = load_session(path)
    model = session.model.build(session.dataset.n_inputs)
    if session.weights is not None:
        session.weights.apply_to(model)
    Trainer(model, session.dataset, session.training).step()
    return session


LOADERS: dict[str, tuple[Callable[[Path], object], type[Exception], str]] = {
    "weights.json": (weights.load_json, WeightsError, ".json"),
    "npz": (weights.load_npz, WeightsError, ".npz"),
    "session.json": (_load_session_and_train, SessionError, ".json"),
    "csv": (read_csv, DataError, ".csv"),
}


def assert_in_words(what: str, message: str) -> None:
    """A refusal's message: not empty, and about the file, not about Python."""
    assert message.strip(), f"{what}: an empty message"
    leaked = [w for w in INTERNAL_WORDING if w in message]
    assert not leaked, f"{what}: the message names Python internals {leaked}: {message}"


def _check_load(kind: str, path: Path) -> str:
    """Load `path`; return "ok" or "refused", failing the test on any other outcome."""
    load, error, _ = LOADERS[kind]
    try:
        load(path)
    except error as exc:
        assert_in_words(f"{kind}: {path.name}", str(exc))
        return "refused"
    except Exception as exc:
        pytest.fail(f"{kind}: {path.name} raised {type(exc).__name__}: {exc}")
    return "ok"


# ---------------------------------------------------------------- mutations


def _random_bytes(rng: random.Random) -> Iterator[bytes]:
    for _ in range(25):
        yield bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 400)))


def _truncations(valid: bytes, rng: random.Random) -> Iterator[bytes]:
    for _ in range(20):
        yield valid[: rng.randrange(0, len(valid))]


def _byte_flips(valid: bytes, rng: random.Random) -> Iterator[bytes]:
    for _ in range(25):
        data = bytearray(valid)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.getrandbits(8)
        yield bytes(data)


def _paths(node: object, prefix: tuple = ()) -> Iterator[tuple]:
    """Every place in a JSON tree, the root's children first."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in items:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


def _replaced(tree: object, path: tuple, value: object) -> object:
    copy = json.loads(json.dumps(tree))
    node = copy
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return copy


def _every_field_wrong(valid: bytes, rng: random.Random) -> Iterator[bytes]:
    """Each field of the file in turn gets a hostile value (a few per field) or a hostile token."""
    tree = json.loads(valid)
    for path in _paths(tree):
        for value in rng.sample(HOSTILE_VALUES, 2):
            yield json.dumps(_replaced(tree, path, value)).encode()
        marker = "__HOSTILE__"
        text = json.dumps(_replaced(tree, path, marker))
        yield text.replace(f'"{marker}"', rng.choice(HOSTILE_TOKENS)).encode()


def _csv_cells_wrong(valid: bytes, rng: random.Random) -> Iterator[bytes]:
    cells = ["", "nan", "inf", "-1e999", '"', '"1', "\x00", "٣", "1_0", "x" * 200_000, "1,2", "\r", "\ufeff1"]
    lines = valid.decode().splitlines()
    for _ in range(40):
        rows = [line.split(",") for line in lines]
        row = rng.randrange(len(rows))
        rows[row][rng.randrange(len(rows[row]))] = rng.choice(cells)
        yield "\n".join(",".join(r) for r in rows).encode()


def _npz_entries_wrong(valid: bytes, rng: random.Random) -> Iterator[bytes]:
    import numpy as np

    with zipfile.ZipFile(io.BytesIO(valid)) as archive:
        entries = {name: archive.read(name) for name in archive.namelist()}
    replacements = [
        np.array(["tanh"] * 3),
        np.array(1.5),
        np.array(np.inf),
        np.zeros((4, 3, 2)),
        np.zeros((0,)),
        np.array([1, 2], dtype=object),
        np.array(3 + 4j),
        np.array("{not json"),
        np.array(True),
        np.zeros(3, dtype=[("a", "f8"), ("b", "i4")]),
    ]
    for name in entries:
        for value in rng.sample(replacements, 4):
            buffer = io.BytesIO()
            np.save(buffer, value, allow_pickle=True)
            yield _zip({**entries, name: buffer.getvalue()})
        yield _zip({k: v for k, v in entries.items() if k != name})  # an entry missing
        yield _zip({**entries, name: entries[name][: len(entries[name]) // 2]})  # an entry truncated
    # a bomb: a few kilobytes that unpack to 60 MB, and an archive of a thousand entries
    yield _zip({**entries, "layer0.weight.npy": b"\0" * 60_000_000}, zipfile.ZIP_DEFLATED)
    yield _zip({f"x{i}.npy": b"" for i in range(1000)})


def _zip(entries: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _hostile_files(kind: str, valid: bytes, rng: random.Random) -> Iterator[bytes]:
    yield from _random_bytes(rng)
    yield from _truncations(valid, rng)
    yield from _byte_flips(valid, rng)
    if kind.endswith("json"):
        yield from _every_field_wrong(valid, rng)
    elif kind == "csv":
        yield from _csv_cells_wrong(valid, rng)
    else:
        yield from _npz_entries_wrong(valid, rng)


# ---------------------------------------------------------------- the test


@pytest.mark.parametrize("kind", LOADERS)
def test_every_hostile_file_loads_or_gets_the_loaders_own_error(tmp_path, kind):
    rng = random.Random(f"{SEED}-{kind}")
    valid = _valid_bytes(kind, tmp_path)
    assert _check_load(kind, tmp_path / f"valid.{kind}") == "ok"
    outcomes = {"ok": 0, "refused": 0}
    suffix = LOADERS[kind][2]
    for i, data in enumerate(_hostile_files(kind, valid, rng)):
        path = tmp_path / f"hostile-{i}{suffix}"
        path.write_bytes(data)
        outcomes[_check_load(kind, path)] += 1
        path.unlink()
    assert outcomes["refused"] >= 60, outcomes  # the mutations really were hostile


def test_a_dataset_from_a_hostile_session_holds_only_floats(tmp_path):
    tree = json.loads(_valid_bytes("session.json", tmp_path))
    tree["dataset"]["inputs"][0][0] = 7  # a whole number in the file
    (tmp_path / "ints.json").write_text(json.dumps(tree))
    dataset: Dataset = load_session(tmp_path / "ints.json").dataset
    assert dataset.inputs[0][0] == 7.0 and isinstance(dataset.inputs[0][0], float)

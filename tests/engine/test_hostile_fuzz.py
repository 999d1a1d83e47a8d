"""Property-based attacks on every loader (hypothesis), beside the fixed fuzz of test_hostile_files.py.

Each test starts from a valid file written by the app's own writer, mutates it
(a random JSON value put anywhere, keys deleted or duplicated, NaN/Infinity and
1e309 literals, huge integers, deep nesting, other encodings, truncation, random
bytes) and loads it. The contract: the loader returns an object the app can use
as it is (trained, shown, saved again), or raises its own error class with a
message about the file; never another exception, never Python's wording.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import session as session_module
from engine import weights
from engine.data import MAX_CSV_BYTES, DataError, lecture, read_csv, write_csv
from engine.nn import MLP
from engine.session import Session, SessionError, check_savable, load_session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.train import StepResult, Trainer
from engine.weights import ModelWeights, WeightsError
from tests.engine.test_hostile_files import assert_in_words

FUZZ = settings(
    max_examples=int(os.environ.get("HOSTILE_FUZZ_EXAMPLES", "120")),  # raise it to explore
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# ---------------------------------------------------------------- valid files and what using them means


def _weights() -> ModelWeights:
    return ModelWeights.from_model(
        MLP(3, [4, 4, 1], seed=1), {"note": "fuzz", "input_names": ["a", "b", "c"]}
    )


def _session() -> Session:
    history = [StepResult(1, 2.5, 0.5, 0.05, 1.0, (0.1, 0.2, 0.3)), StepResult(2, 2.0, 0.75, 0.05, 0.9)]
    return Session(lecture(), ModelSpec(), TrainSettings(batch_size=2), _weights(), history)


def _use_session(path: Path) -> None:
    """What the window does with an opened session: build, train a step, predict, save again."""
    session = load_session(path)
    model = session.model.build(session.dataset.n_inputs)
    if session.weights is not None:
        session.weights.apply_to(model)
    trainer = Trainer(model, session.dataset, session.training)
    result = trainer.step()
    # a step either trains or stops the run as diverged, saying why (weights far too large)
    assert (result is not None and math.isfinite(result.loss)) or trainer.diverged, trainer.diverged
    check_savable(session)


def _use_weights(path: Path) -> None:
    loaded = weights.load_npz(path) if path.suffix == ".npz" else weights.load_json(path)
    out = loaded.predict([0.5] * loaded.inputs)
    assert all(math.isfinite(v) for v in (out if isinstance(out, list) else [out]))
    weights.check_loadable(loaded)


def _use_csv(path: Path) -> None:
    dataset = read_csv(path)
    dataset.validate()
    assert all(isinstance(v, float) and math.isfinite(v) for row in dataset.inputs for v in row)
    assert all(isinstance(v, float) and math.isfinite(v) for v in dataset.targets)


KINDS: dict[str, tuple[Callable[[Path], None], type[Exception], str]] = {
    "session": (_use_session, SessionError, ".json"),
    "weights": (_use_weights, WeightsError, ".json"),
    "npz": (_use_weights, WeightsError, ".npz"),
    "csv": (_use_csv, DataError, ".csv"),
}


def _valid_bytes(kind: str, folder: Path) -> bytes:
    path = folder / f"valid-{kind}{KINDS[kind][2]}"
    if kind == "session":
        save_session(_session(), path)
    elif kind == "weights":
        weights.save_json(_weights(), path)
    elif kind == "npz":
        weights.save_npz(_weights(), path)
    else:
        write_csv(lecture(), path)
    return path.read_bytes()


def _check(kind: str, path: Path) -> str:
    use, error, _ = KINDS[kind]
    try:
        use(path)
    except error as exc:
        assert_in_words(kind, str(exc))
        return "refused"
    return "ok"


# ---------------------------------------------------------------- strategies

HUGE_INTS = st.sampled_from([2**63, -(2**63), 10**29, 10**30, 10**31, 10**400])
JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    HUGE_INTS,
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 5e-324, -0.0, 1e-320]),
    st.text(max_size=30),
    st.sampled_from(["", "tanh", "relu", "mse", "1.5", "NaN", "x" * 5000]),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.one_of(
        st.lists(children, max_size=5), st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=12,
)
# literal text put in place of one value: what json.dumps cannot make (or makes huge)
RAW_TOKENS = st.sampled_from(
    ["NaN", "Infinity", "-Infinity", "1e309", "-1e309", "9" * 5000, "[" * 50_000, "1" + "0" * 31, "[]"]
)


def _places(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every place in a JSON tree (dict keys and list indexes), outermost first."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    found: list[tuple] = []
    for key, child in items:
        found.append((*prefix, key))
        found.extend(_places(child, (*prefix, key)))
    return found


def _parent(tree: object, place: tuple) -> object:
    node = tree
    for key in place[:-1]:
        node = node[key]
    return node


MARKER = "__HOSTILE_TOKEN__"


@st.composite
def json_mutations(draw: st.DrawFn, valid: bytes) -> bytes:
    """A valid JSON file with one to three mutations: a value replaced, a key deleted or added,
    a list emptied or grown, a value wrapped, or a raw token (NaN, 1e309, deep nesting) put in."""
    tree = json.loads(valid)
    raw_token = None
    for _ in range(draw(st.integers(1, 3))):
        places = _places(tree)
        place = draw(st.sampled_from(places))
        parent = _parent(tree, place)
        key = place[-1]
        action = draw(st.sampled_from(["replace", "delete", "wrap", "token", "grow", "add_key"]))
        if action == "replace":
            parent[key] = draw(JSON_VALUES)
        elif action == "delete":
            del parent[key]
        elif action == "wrap":
            parent[key] = [parent[key]]
        elif action == "token" and raw_token is None:
            raw_token = draw(RAW_TOKENS)
            parent[key] = MARKER
        elif action == "grow" and isinstance(parent, list):
            parent.extend([parent[key]] * draw(st.sampled_from([1, 2, 50])))
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(JSON_VALUES)
    text = json.dumps(tree, allow_nan=True)
    if raw_token is not None:
        text = text.replace(json.dumps(MARKER), raw_token)
    return text.encode()


@st.composite
def duplicated_keys(draw: st.DrawFn, valid: bytes) -> bytes:
    """The same key twice in one object (JSON allows the text, this app refuses the file)."""
    text = valid.decode()
    keys = sorted({k for k in _keys(json.loads(valid))})
    key = draw(st.sampled_from(keys))
    needle = json.dumps(key) + ":"
    at = text.index(needle)
    return (text[:at] + needle + " null, " + text[at:]).encode()


def _keys(node: object) -> list[str]:
    if isinstance(node, dict):
        return [k for k, v in node.items() for k in [k, *_keys(v)]]
    if isinstance(node, list):
        return [k for v in node for k in _keys(v)]
    return []


@st.composite
def byte_mutations(draw: st.DrawFn, valid: bytes) -> bytes:
    """Bytes: truncated, with bytes changed or inserted, re-encoded, with a BOM, or random."""
    action = draw(st.sampled_from(["truncate", "flip", "insert", "encode", "bom", "random", "empty"]))
    if action == "truncate":
        return valid[: draw(st.integers(0, len(valid) - 1))]
    if action == "flip":
        data = bytearray(valid)
        for _ in range(draw(st.integers(1, 5))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if action == "insert":
        at = draw(st.integers(0, len(valid)))
        return valid[:at] + draw(st.binary(min_size=1, max_size=20)) + valid[at:]
    if action == "encode":
        return valid.decode("latin-1").encode(
            draw(st.sampled_from(["utf-16", "utf-32", "utf-16-be", "cp500"]))
        )
    if action == "bom":
        return b"\xef\xbb\xbf" + valid
    if action == "empty":
        return draw(st.sampled_from([b"", b" ", b"\n\n", b"\xef\xbb\xbf", b"\x00" * 10]))
    return draw(st.binary(max_size=400))


@st.composite
def csv_mutations(draw: st.DrawFn, valid: bytes) -> bytes:
    """A valid CSV with cells, rows or columns made wrong."""
    rows = [line.split(",") for line in valid.decode().splitlines()]
    cell = st.one_of(
        st.text(max_size=12),
        st.sampled_from(
            ["", "nan", "inf", "-inf", "1e309", "1e-400", "0x10", "1_0", '"', '"1"', "٣", "１", "\x00"]
        ),
        st.floats(allow_nan=True).map(repr),
        st.integers().map(str),
    )
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["cell", "drop_row", "dup_row", "drop_col", "add_col", "sep"]))
        r = draw(st.integers(0, len(rows) - 1))
        if action == "cell" and rows[r]:
            rows[r][draw(st.integers(0, len(rows[r]) - 1))] = draw(cell)
        elif action == "drop_row" and len(rows) > 1:
            del rows[r]
        elif action == "dup_row":
            rows.insert(r, list(rows[r]))
        elif action == "drop_col" and rows[r]:
            del rows[r][-1]
        elif action == "add_col":
            rows[r].append(draw(cell))
        else:
            rows[r] = [";".join(rows[r])]
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return end.join(",".join(r) for r in rows).encode("utf-8", "surrogatepass")


# ---------------------------------------------------------------- the properties


def _write(tmp_path: Path, kind: str, data: bytes) -> Path:
    path = tmp_path / f"hostile{KINDS[kind][2]}"
    path.write_bytes(data)
    return path


class ValidFiles:
    """One valid file of each kind, written once (not a fixture value: hypothesis would print it)."""

    def __init__(self, folder: Path) -> None:
        self._bytes = {kind: _valid_bytes(kind, folder) for kind in KINDS}

    def __getitem__(self, kind: str) -> bytes:
        return self._bytes[kind]

    def __repr__(self) -> str:
        return "<valid files>"


@pytest.fixture(scope="module")
def valid_files(tmp_path_factory) -> ValidFiles:
    return ValidFiles(tmp_path_factory.mktemp("valid"))


@pytest.mark.parametrize("kind", ["session", "weights"])
@FUZZ
@given(data=st.data())
def test_json_files_with_mutated_values_load_or_are_refused(tmp_path, valid_files, kind, data):
    mutated = data.draw(st.one_of(json_mutations(valid_files[kind]), duplicated_keys(valid_files[kind])))
    _check(kind, _write(tmp_path, kind, mutated))


@pytest.mark.parametrize("kind", list(KINDS))
@FUZZ
@given(data=st.data())
def test_files_with_mutated_bytes_load_or_are_refused(tmp_path, valid_files, kind, data):
    _check(kind, _write(tmp_path, kind, data.draw(byte_mutations(valid_files[kind]))))


@FUZZ
@given(data=st.data())
def test_csv_files_with_wrong_cells_load_or_are_refused(tmp_path, valid_files, data):
    _check("csv", _write(tmp_path, "csv", data.draw(csv_mutations(valid_files["csv"]))))


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_folder_or_a_missing_file_is_refused_with_its_name(tmp_path, kind):
    folder = tmp_path / f"a-folder{KINDS[kind][2]}"
    folder.mkdir()
    assert _check(kind, folder) == "refused"
    assert _check(kind, tmp_path / f"missing{KINDS[kind][2]}") == "refused"


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_file_declared_larger_than_the_limit_is_refused_unread(tmp_path, kind):
    """A sparse file: 200 MB by its size, nothing on disk; refused by its size, not read."""
    path = tmp_path / f"huge{KINDS[kind][2]}"
    with open(path, "wb") as f:
        f.truncate(200 * 1024 * 1024)
    _, error, _ = KINDS[kind]
    with pytest.raises(error, match="larger than|too large"):
        KINDS[kind][0](path)
    assert os.path.getsize(path) > MAX_CSV_BYTES


# ---------------------------------------------------------------- numbers too large to compute with

HUGE_NUMBERS = ["1.7e308", "-1.7976931348623157e308", "1e200", "-1e101"]


@pytest.mark.parametrize("huge", HUGE_NUMBERS)
def test_a_csv_value_too_large_to_compute_with_is_refused_naming_its_cell(tmp_path, huge):
    """Its square (a loss) or the span of the data (the plots' axes) would overflow to inf."""
    path = tmp_path / "huge.csv"
    path.write_text(f"x1,x2,y\n1,2,1\n3,{huge},-1\n")
    with pytest.raises(DataError, match=r"row 3, column 'x2': .* is too large"):
        read_csv(path)


@pytest.mark.parametrize("huge", HUGE_NUMBERS)
def test_a_session_value_too_large_to_compute_with_is_refused(tmp_path, huge):
    tree = json.loads(_valid_bytes("session", tmp_path))
    tree["dataset"]["targets"][1] = float(huge)
    tree["dataset"]["task"] = "regression"
    (tmp_path / "huge.json").write_text(json.dumps(tree))
    with pytest.raises(SessionError, match="sample 2, target: .* is too large"):
        load_session(tmp_path / "huge.json")


def test_values_up_to_the_limit_are_kept_exactly(tmp_path):
    path = tmp_path / "large.csv"
    path.write_text("x1,y\n1e100,-1e100\n-1e100,1e100\n")
    assert read_csv(path).inputs == [[1e100], [-1e100]]


# ---------------------------------------------------------------- files within the byte limit that hold too much


def test_a_session_of_millions_of_numbers_is_refused_before_they_are_checked(tmp_path, monkeypatch):
    """20 million zeros fit in 40 MB; checking them one by one took a minute and gigabytes."""
    from engine import data

    tree = json.loads(_valid_bytes("session", tmp_path))
    tree["dataset"]["inputs"] = [[0] * 2000] * 600  # a small file: the same row 600 times
    tree["dataset"]["targets"] = [1] * 600
    (tmp_path / "big.json").write_text(json.dumps(tree))
    checked = []
    monkeypatch.setattr(data, "_check_sample", lambda *args: checked.append(args))
    with pytest.raises(SessionError, match="600 samples of 2,001 numbers, more than the 1,000,000"):
        load_session(tmp_path / "big.json")
    assert not checked


def test_a_csv_of_millions_of_numbers_is_refused_at_the_row_past_the_limit(tmp_path):
    path = tmp_path / "wide.csv"
    header = ",".join(f"x{i}" for i in range(4000)) + ",y\n"
    path.write_text(header + ("0," * 4000 + "1\n") * 300)
    with pytest.raises(DataError, match="more than 249 data rows: .* more than the 1,000,000 numbers"):
        read_csv(path)


@pytest.mark.parametrize("kind", ["session", "weights"])
@pytest.mark.parametrize(
    "unit, count, refusal",
    [
        ("0,", 12_000_000, "values"),  # 24 MB, 12 million values
        ("[0],", 1_000_000, "lists and objects"),  # 4 MB, a million lists: 4 s to parse on a slow machine
        ('{"a": 0},', 1_000_000, "lists and objects"),
    ],
    ids=["values", "lists", "objects"],
)
def test_a_file_holding_more_than_it_can_is_refused_before_it_is_parsed(
    tmp_path, monkeypatch, kind, unit, count, refusal
):
    """50 MB of "0," is 25 million values: 2.9 s of parsing in the window's thread (more on a slow
    machine) for a file refused anyway; lists and objects cost ten times more each. Counting
    commas and brackets takes milliseconds."""
    from engine import files

    path = tmp_path / "many.json"
    path.write_text('{"format": "x", "values": [' + unit * count + "0]}")
    parsed = []
    monkeypatch.setattr(files, "parse_json", lambda *args, **kwargs: parsed.append(args))
    error, module = (SessionError, session_module) if kind == "session" else (WeightsError, weights)
    limit = module.MAX_JSON_VALUES if refusal == "values" else module.MAX_JSON_CONTAINERS
    with pytest.raises(error) as refused:
        load_session(path) if kind == "session" else weights.load_json(path)
    assert not parsed
    message = str(refused.value)
    assert f"many.json holds more than {limit:,} {refusal}, more than a {kind} file can hold" in message
    assert_in_words(kind, message)


def test_the_largest_session_the_limits_allow_is_within_the_caps():
    """The caps refuse no session this app can write: its data, a full history of the deepest
    network, and as many weights as a file may hold with Adam's two numbers per weight."""
    from engine.data import MAX_SAMPLES, MAX_VALUES
    from engine.spec import MAX_HIDDEN_LAYERS

    model = MLP(3, [1] * (MAX_HIDDEN_LAYERS + 1), seed=0)
    trainer = Trainer(model, lecture(), TrainSettings(steps=1))
    entry = trainer.step()
    entry = dataclasses.replace(entry, r2=0.5, test_loss=0.25, test_accuracy=0.75)  # every field written
    text = json.dumps(session_module._step_to_dict(entry))
    assert len(entry.layer_grads) == MAX_HIDDEN_LAYERS + 1  # one per layer
    values = MAX_VALUES + session_module.MAX_HISTORY * (text.count(",") + 1) + 3 * weights.MAX_PARAMETERS
    assert values < session_module.MAX_JSON_VALUES
    largest_weights = {
        "layers": [{"weight": [[0.0]] * weights.MAX_NEURONS, "bias": [0.0]}] * weights.MAX_LAYERS
    }
    weights_text = json.dumps(largest_weights)
    weights_containers = weights_text.count("[") + weights_text.count("{")
    assert weights_containers < weights.MAX_JSON_CONTAINERS
    containers = (
        MAX_SAMPLES + session_module.MAX_HISTORY * (text.count("[") + text.count("{")) + weights_containers
    )
    assert containers < session_module.MAX_JSON_CONTAINERS


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_a_weights_file_of_millions_of_numbers_is_refused_before_they_are_checked(
    tmp_path, monkeypatch, suffix
):
    """A 1,420 x 1,420 layer (2.02 million weights) fits in a small file: refused by its shape.
    (Not many more: a JSON file of over 2.1 million values is refused before it is parsed.)"""
    import numpy as np

    from engine import weights as weights_module

    path = tmp_path / f"big{suffix}"
    layer = {"activation": "tanh", "weight": [[0] * 1420] * 1420, "bias": [0] * 1420}
    if suffix == ".json":
        tree = {"format": weights_module.FORMAT, "version": 1, "inputs": 1420, "layers": [layer]}
        path.write_text(json.dumps(tree))
    else:
        np.savez(
            path,
            inputs=np.array(1420),
            activations=np.array(["tanh"]),
            **{"layer0.weight": np.zeros((1420, 1420)), "layer0.bias": np.zeros(1420)},
        )
    checked = []
    monkeypatch.setattr(weights_module, "_finite", lambda value, where: checked.append(where))
    with pytest.raises(WeightsError, match="layer 1 takes the file past 2,000,000 weights and biases"):
        _use_weights(path)
    assert not checked


@pytest.mark.parametrize("kind", ["weights", "session"])
def test_metadata_nested_too_deep_to_send_to_the_training_process_is_refused(tmp_path, kind):
    """900 levels parse, but pickling them for the training process overflowed Python's stack."""
    tree = json.loads(_valid_bytes(kind, tmp_path))
    weights_tree = tree if kind == "weights" else tree["weights"]
    weights_tree["metadata"] = {"note": json.loads("[" * 900 + "]" * 900)}
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(tree))
    with pytest.raises(KINDS[kind][1], match="'metadata' is nested more than 16 levels deep"):
        KINDS[kind][0](path)


def test_metadata_as_deep_as_the_limit_loads(tmp_path):
    tree = json.loads(_valid_bytes("weights", tmp_path))
    tree["metadata"] = {"note": json.loads("[" * 15 + "1" + "]" * 15)}
    (tmp_path / "ok.json").write_text(json.dumps(tree))
    assert weights.load_json(tmp_path / "ok.json").metadata == tree["metadata"]

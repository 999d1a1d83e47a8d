"""Tests for engine/weights.py: snapshots of an MLP's weights and the JSON / .npz / torch files."""

import contextlib
import copy
import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import weights as W
from engine.nn import MLP
from engine.weights import LayerWeights, ModelWeights, WeightsError

MODELS = {
    "lecture": lambda: MLP(3, [4, 4, 1], seed=1),
    "relu-linear": lambda: MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=2),
    "sigmoid-2-out": lambda: MLP(2, [5, 2], activation="sigmoid", seed=3),
}


def param_bits(model: MLP) -> list[str]:
    """Every parameter as exact hex, so that 0.0 and -0.0 (or one ulp) differ."""
    return [p.data.hex() for p in model.parameters()]


def weight_bits(w: ModelWeights) -> list:
    floats = [v for ly in w.layers for v in [*(x for row in ly.weight for x in row), *ly.bias]]
    return [w.inputs, w.sizes, w.activations, [float(v).hex() for v in floats]]


def samples(n_inputs: int, count: int = 30, seed: int = 0) -> list[list[float]]:
    # Wide range so sigmoid takes both branches and relu sees both signs
    rng = random.Random(seed)
    return [[rng.uniform(-30, 30) for _ in range(n_inputs)] for _ in range(count)]


def engine_output(model: MLP, x: list[float]) -> float | list[float]:
    out = model(x)
    return [v.data for v in out] if isinstance(out, list) else out.data


@pytest.fixture
def lecture_file(tmp_path: Path) -> Path:
    path = tmp_path / "w.json"
    W.save_json(ModelWeights.from_model(MODELS["lecture"]()), path)
    return path


# ---------------------------------------------------------------- snapshots


def test_weight_rows_are_output_neurons_and_columns_are_inputs():
    model = MODELS["lecture"]()
    w = ModelWeights.from_model(model, {"epochs": 3})
    first = model.layers[0]
    assert (w.inputs, w.sizes, w.activations, w.metadata) == (3, [4, 4, 1], ["tanh"] * 3, {"epochs": 3})
    assert w.layers[0].weight[2][1] == first.neurons[2].w[1].data
    assert w.layers[0].bias[3] == first.neurons[3].b.data


@pytest.mark.parametrize("name", MODELS)
def test_to_model_and_apply_to_copy_every_parameter_bit_for_bit(name):
    model = MODELS[name]()
    w = ModelWeights.from_model(model)
    rebuilt = w.to_model()
    assert param_bits(rebuilt) == param_bits(model)
    assert repr(rebuilt) == repr(model)
    other = MODELS[name]()
    for p in other.parameters():
        p.data = -p.data * 0.5
    w.apply_to(other)
    assert param_bits(other) == param_bits(model)


@pytest.mark.parametrize("name", MODELS)
def test_predict_equals_the_engine_bit_for_bit_and_numpy_within_1e12(name):
    np = pytest.importorskip("numpy")
    model = MODELS[name]()
    w = ModelWeights.from_model(model)
    xs = samples(model.nin)
    expected = [engine_output(model, x) for x in xs]
    assert [w.predict(x) for x in xs] == expected  # == on floats: exact
    assert np.allclose(w.predict_numpy(xs), np.array(expected), rtol=0, atol=1e-12)
    assert w.predict_numpy(np.array(xs)).shape == ((30,) if model.sizes[-1] == 1 else (30, 2))


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_predict_equals_the_engine_at_the_edges(activation):
    # bias -0.0 and weight 0.0 make a -0.0 pre-activation for x < 0; weight 2.0 overflows to ±inf
    w = ModelWeights(1, [LayerWeights(activation, [[0.0], [2.0], [-1.0]], [-0.0, -0.0, 0.5])])
    model = w.to_model()
    for x in [-1.0, -0.0, 0.0, 1e-320, 800.0, -800.0, 1e308, -1e308]:
        expected = [v.hex() for v in engine_output(model, [x])]
        assert [v.hex() for v in w.predict([x])] == expected, x


def test_to_model_keeps_a_different_activation_in_every_layer():
    rng = random.Random(4)
    sizes, acts = [3, 5, 4, 2], ["relu", "sigmoid", "linear"]
    layers = [
        LayerWeights(a, [[rng.uniform(-2, 2) for _ in range(nin)] for _ in range(nout)], [0.5] * nout)
        for a, nin, nout in zip(acts, sizes, sizes[1:])
    ]
    w = ModelWeights(3, layers)
    model = w.to_model()
    assert [ly.activation for ly in model.layers] == acts
    assert all(n.activation == ly.activation for ly in model.layers for n in ly.neurons)
    assert model.layers[1].neurons[3].w[4].label == "w2.4.5"  # the graph view's names
    assert [w.predict(x) for x in samples(3)] == [engine_output(model, x) for x in samples(3)]


def test_predict_rejects_the_wrong_number_of_inputs():
    w = ModelWeights.from_model(MODELS["lecture"]())
    with pytest.raises(ValueError, match="3 inputs, got 2"):
        w.predict([1.0, 2.0])
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        w.predict_numpy([[1.0, 2.0]])


OTHER_ARCHITECTURES = {
    "inputs": (lambda: MLP(2, [4, 4, 1]), "take 3 inputs, the network takes 2"),
    "layer count": (lambda: MLP(3, [4, 1]), "have 3 layers, the network has 2"),
    "layer size": (lambda: MLP(3, [4, 5, 1]), "layer 2 has 4 neurons in the weights, 5 in the network"),
    "activation": (lambda: MLP(3, [4, 4, 1], activation="relu"), "layer 1 uses tanh in the weights, relu"),
}


@pytest.mark.parametrize("case", OTHER_ARCHITECTURES)
def test_apply_to_another_architecture_names_the_difference_and_changes_nothing(case):
    make, message = OTHER_ARCHITECTURES[case]
    w = ModelWeights.from_model(MODELS["lecture"]())
    model = make()
    before = param_bits(model)
    assert message in w.matches(model)
    with pytest.raises(WeightsError, match=message):
        w.apply_to(model)
    assert param_bits(model) == before
    assert w.matches(MLP(3, [4, 4, 1], seed=9)) is None


def test_apply_to_a_ragged_hand_made_snapshot_changes_nothing():
    model = MODELS["lecture"]()
    w = ModelWeights.from_model(MLP(3, [4, 4, 1], seed=5))
    w.layers[2].weight[0] = w.layers[2].weight[0][:-1]  # a later layer, so nothing is half-copied
    before = param_bits(model)
    with pytest.raises(WeightsError, match="layer 3, weight row 1 has 3 columns, expected 4"):
        w.apply_to(model)
    assert param_bits(model) == before


# ---------------------------------------------------------------- JSON


def test_json_file_is_the_documented_format(lecture_file):
    model = MODELS["lecture"]()
    d = json.loads(lecture_file.read_text())
    assert (d["format"], d["version"], d["inputs"], d["metadata"]) == ("micrograd-studio/weights", 1, 3, {})
    assert [ly["activation"] for ly in d["layers"]] == ["tanh"] * 3
    assert d["layers"][1]["weight"][3][2] == model.layers[1].neurons[3].w[2].data
    assert d["layers"][2]["bias"] == [model.layers[2].neurons[0].b.data]


EDGE_FLOATS = st.sampled_from(
    [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1e300]
)
FLOATS = st.one_of(EDGE_FLOATS, st.floats(allow_nan=False, allow_infinity=False))


@st.composite
def model_weights(draw: st.DrawFn) -> ModelWeights:
    inputs = draw(st.integers(1, 3))
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    layers = []
    for nin, nout in zip([inputs, *sizes], sizes):
        rows = [draw(st.lists(FLOATS, min_size=nin, max_size=nin)) for _ in range(nout)]
        bias = draw(st.lists(FLOATS, min_size=nout, max_size=nout))
        layers.append(LayerWeights(draw(st.sampled_from(["tanh", "relu", "sigmoid", "linear"])), rows, bias))
    return ModelWeights(inputs, layers, {"note": draw(st.text(max_size=5)), "loss": draw(FLOATS)})


@settings(max_examples=60, deadline=None)
@given(w=model_weights())
def test_json_round_trip_is_bit_for_bit(tmp_path_factory, w):
    path = tmp_path_factory.mktemp("json") / "w.json"
    W.save_json(w, path)
    loaded = W.load_json(path)
    assert weight_bits(loaded) == weight_bits(w)
    assert loaded.metadata["note"] == w.metadata["note"]
    assert loaded.metadata["loss"].hex() == float(w.metadata["loss"]).hex()


def test_unknown_extra_keys_are_ignored(tmp_path, lecture_file):
    d = json.loads(lecture_file.read_text())
    d["saved_by"] = "a future tool"
    d["layers"][0]["comment"] = "input layer"
    (tmp_path / "x.json").write_text(json.dumps(d))
    assert weight_bits(W.load_json(tmp_path / "x.json")) == weight_bits(W.load_json(lecture_file))


def _set(path: str, value: object):
    """A mutation of the parsed file: set d[k1][k2]... = value ("-" deletes the key)."""

    def mutate(d: dict) -> None:
        *keys, last = [int(k) if k.isdigit() else k for k in path.split("/")]
        for k in keys:
            d = d[k]
        if value == "-":
            del d[last]
        else:
            d[last] = value

    return mutate


BAD_FILES = {
    "wrong format": (_set("format", "keras/h5"), "format is 'keras/h5', not 'micrograd-studio/weights'"),
    "newer version": (_set("version", 2), r"newer micrograd-studio \(version 2\); this one reads version 1"),
    "version not a number": (_set("version", "1"), "the version is '1'"),
    "short row": (
        lambda d: d["layers"][1]["weight"][2].pop(),
        "layer 2, weight row 3 has 3 columns, expected 4",
    ),
    "long first row": (
        lambda d: d["layers"][0]["weight"][0].append(1.0),
        "layer 1, weight row 1 has 4 columns, expected 3, one per input",
    ),
    "bias too long": (lambda d: d["layers"][0]["bias"].append(0.5), "'bias' has 5 numbers, expected 4"),
    "bias not a list": (_set("layers/2/bias", 0.5), "layer 3: 'bias' has 0.5, expected 1"),
    "row not a list": (_set("layers/0/weight/1", 0.5), "layer 1, weight row 2 is 0.5, not a list"),
    "string weight": (_set("layers/0/weight/0/1", "abc"), "weight row 1, column 2: 'abc' is not a number"),
    "true weight": (_set("layers/1/weight/0/0", True), "column 1: true is not a number"),
    "null bias": (_set("layers/1/bias/1", None), "layer 2, bias 2: null is not a number"),
    # json.dumps writes these as bare NaN / -Infinity tokens, which json.loads accepts
    "NaN token": (
        _set("layers/0/weight/1/2", math.nan),
        "weight row 2, column 3: nan is not a finite number",
    ),
    "-Infinity token": (_set("layers/2/bias/0", -math.inf), "layer 3, bias 1: -inf is not a finite number"),
    "huge integer": (_set("layers/0/bias/0", 10**400), "layer 1, bias 1: .* is not a finite number"),
    "not an object": (lambda d: [d], "holds a list, not a JSON object"),
    "missing format": (_set("format", "-"), "missing 'format'"),
    "missing version": (_set("version", "-"), "missing 'version'"),
    "missing inputs": (_set("inputs", "-"), "missing 'inputs'"),
    "missing layers": (_set("layers", "-"), "missing 'layers'"),
    "missing weight": (_set("layers/1/weight", "-"), "layer 2: missing 'weight'"),
    "missing activation": (_set("layers/0/activation", "-"), "layer 1: missing 'activation'"),
    "unknown activation": (
        _set("layers/0/activation", "gelu"),
        "unknown activation 'gelu'; choose one of tanh",
    ),
    "zero inputs": (_set("inputs", 0), "'inputs' must be a whole number, 1 to 4096, not 0"),
    "bool inputs": (_set("inputs", True), "not true"),
    "no layers": (_set("layers", []), "'layers' must be a non-empty list"),
    "layer not an object": (_set("layers/1", [1.0]), "layer 2 is a list, not an object"),
    "metadata not an object": (_set("metadata", [1]), "'metadata' must be an object"),
    "too many layers": (
        lambda d: d["layers"].extend([d["layers"][2]] * 64),
        "67 layers, more than the limit of 64",
    ),
    "too many neurons": (_set("layers/0/weight", [[0.0] * 3] * 4097), "layer 1 has 4097 neurons, more than"),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_each_bad_file_gets_a_weights_error_naming_the_problem(tmp_path, lecture_file, case):
    mutate, message = BAD_FILES[case]
    d = json.loads(lecture_file.read_text())
    replaced = mutate(d)
    if isinstance(replaced, list):
        d = replaced
    (tmp_path / "bad.json").write_text(json.dumps(d))
    with pytest.raises(WeightsError, match=message):
        W.load_json(tmp_path / "bad.json")


BAD_TEXTS = {
    "truncated": (
        lambda text: text[: len(text) // 2],
        r"bad.json is not valid JSON \(line \d+, column \d+\): ",
    ),
    "empty": (lambda text: "  \n", "bad.json is empty"),
    "deeply nested": (lambda text: "[" * 100_000, "nested far too deeply"),
    "deeply nested object": (lambda text: '{"a":' * 100_000, "nested far too deeply"),
    "integer too long to parse": (lambda text: "1" * 5000, "the file holds inf, not a JSON object"),
}


@pytest.mark.parametrize("case", BAD_TEXTS)
def test_each_bad_text_gets_a_weights_error_naming_the_problem(tmp_path, lecture_file, case):
    edit, message = BAD_TEXTS[case]
    (tmp_path / "bad.json").write_text(edit(lecture_file.read_text()))
    with pytest.raises(WeightsError, match=message):
        W.load_json(tmp_path / "bad.json")


def test_not_utf8_and_too_large_files_get_weights_errors(tmp_path, lecture_file, monkeypatch):
    (tmp_path / "latin1.json").write_bytes(b'{"format": "\xe9"}')
    with pytest.raises(WeightsError, match="not UTF-8"):
        W.load_json(tmp_path / "latin1.json")
    monkeypatch.setattr(W, "MAX_FILE_BYTES", lecture_file.stat().st_size - 1)
    with pytest.raises(WeightsError, match="too large to be a weights file"):
        W.load_json(lecture_file)


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(0, 10_000), junk=st.text(max_size=3))
def test_a_damaged_file_loads_or_gets_a_weights_error_never_anything_else(tmp_path_factory, cut, junk):
    text = W.to_json_text(ModelWeights.from_model(MLP(2, [2, 1], seed=0)))
    cut %= len(text)
    path = tmp_path_factory.mktemp("damaged") / "w.json"
    path.write_text(text[:cut] + junk + text[cut + 1 :], encoding="utf-8")
    with contextlib.suppress(WeightsError):
        W.load_json(path)


def test_save_json_refuses_nan_weights_and_leaves_the_old_file(lecture_file):
    old = lecture_file.read_bytes()
    w = ModelWeights.from_model(MODELS["lecture"]())
    w.layers[1].bias[2] = math.nan
    with pytest.raises(
        WeightsError,
        match=r"not saved: layer 2, bias 3: nan is not a finite number \(training probably diverged\)",
    ):
        W.save_json(w, lecture_file)
    assert lecture_file.read_bytes() == old


def _save_torch_or_skip(weights: ModelWeights, path: Path) -> None:
    pytest.importorskip("torch")
    W.save_torch(weights, path)


@pytest.mark.parametrize("save", [W.save_json, W.save_npz, _save_torch_or_skip])
def test_a_save_that_fails_midway_leaves_the_old_file_byte_for_byte(tmp_path, monkeypatch, save):
    path = tmp_path / "w.out"
    save(ModelWeights.from_model(MLP(3, [4, 4, 1], seed=1)), path)
    old = path.read_bytes()

    def fail(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        save(ModelWeights.from_model(MLP(3, [4, 4, 1], seed=2)), path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["w.out"]  # no temporary file left behind


# ---------------------------------------------------------------- NumPy


@pytest.mark.parametrize("name", MODELS)
def test_npz_round_trip_is_bit_for_bit_and_self_describing(tmp_path, name):
    np = pytest.importorskip("numpy")
    w = ModelWeights.from_model(MODELS[name](), {"epochs": 7})
    w.layers[0].bias[0] = -0.0
    W.save_npz(w, tmp_path / "w.npz")
    assert weight_bits(W.load_npz(tmp_path / "w.npz")) == weight_bits(w)
    assert W.load_npz(tmp_path / "w.npz").metadata == {"epochs": 7}
    with np.load(tmp_path / "w.npz", allow_pickle=False) as npz:
        n = len(w.layers)
        assert set(npz.files) == {"inputs", "activations", "metadata"} | {
            f"layer{i}.{p}" for i in range(n) for p in ("weight", "bias")
        }
        assert (int(npz["inputs"]), npz["activations"].tolist()) == (w.inputs, w.activations)
        assert npz["layer0.weight"].shape == (w.sizes[0], w.inputs)
        assert npz["layer0.weight"].tolist() == w.layers[0].weight


def _write_npz(path: Path, **arrays: object) -> None:
    import numpy as np

    np.savez(path, **arrays)


@pytest.mark.parametrize(
    "case,message",
    [
        ("not a zip", "not a readable .npz"),
        ("pickled", "not a readable .npz"),
        ("missing bias", "missing 'layer1.bias'"),
        ("wrong shape", "layer 2, weight row 1 has 5 columns, expected 4"),
        ("bool weights", "true is not a number"),
        ("zip bomb", "unpacks to more than"),
    ],
)
def test_bad_npz_files_get_weights_errors(tmp_path, monkeypatch, lecture_file, case, message):
    np = pytest.importorskip("numpy")
    path = tmp_path / "bad.npz"
    W.save_npz(W.load_json(lecture_file), path)
    with np.load(path) as npz:
        arrays = dict(npz)
    if case == "not a zip":
        path.write_text("hello")
    elif case == "pickled":
        _write_npz(path, **{**arrays, "activations": np.array(["tanh", None, "tanh"], dtype=object)})
    elif case == "missing bias":
        del arrays["layer1.bias"]
        _write_npz(path, **arrays)
    elif case == "wrong shape":
        _write_npz(path, **{**arrays, "layer1.weight": np.zeros((4, 5))})
    elif case == "bool weights":
        _write_npz(path, **{**arrays, "layer0.weight": np.ones((4, 3), dtype=bool)})
    else:
        np.savez_compressed(path, **{**arrays, "padding": np.zeros(1_000_000)})
        monkeypatch.setattr(W, "MAX_FILE_BYTES", 1_000_000)
        assert path.stat().st_size < W.MAX_FILE_BYTES
    with pytest.raises(WeightsError, match=message):
        W.load_npz(path)


# ---------------------------------------------------------------- PyTorch


def test_torch_available_says_why_not_when_torch_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    assert W.torch_available() == (False, "PyTorch is not installed (pip install torch)")


def test_torch_available_when_installed():
    pytest.importorskip("torch")
    assert W.torch_available() == (True, "")


@pytest.mark.parametrize("name", MODELS)
def test_saved_state_dict_loads_into_a_hand_built_sequential(tmp_path, name):
    torch = pytest.importorskip("torch")
    from torch import nn

    model = MODELS[name]()
    W.save_torch(ModelWeights.from_model(model), tmp_path / "w.pt")
    act = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}
    sizes, modules = [model.nin, *model.sizes], []
    for i, layer in enumerate(model.layers):
        modules.append(nn.Linear(sizes[i], sizes[i + 1], dtype=torch.float64))
        if layer.activation != "linear":  # the last layer of "relu-linear": no module at all
            modules.append(act[layer.activation]())
    net = nn.Sequential(*modules)
    state = torch.load(tmp_path / "w.pt")
    assert list(state) == [f"{2 * i}.{p}" for i in range(len(model.layers)) for p in ("weight", "bias")]
    net.load_state_dict(state)  # strict: exactly these keys and shapes
    xs = samples(model.nin)
    got = net(torch.tensor(xs, dtype=torch.float64)).detach()
    expected = torch.tensor([engine_output(model, x) for x in xs], dtype=torch.float64)
    assert torch.allclose(got.reshape(expected.shape), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", MODELS)
def test_json_file_loads_into_torch_by_hand_from_the_format_description(tmp_path, name):
    torch = pytest.importorskip("torch")
    model = MODELS[name]()
    W.save_json(ModelWeights.from_model(model), tmp_path / "w.json")
    # Only what the README says: rows are outputs, columns inputs (nn.Linear's layout), and
    # float64 throughout: torch.tensor(list of floats) alone gives float32, off by ~1e-8
    with open(tmp_path / "w.json") as f:
        d = json.load(f)
    act = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid, "linear": lambda z: z}
    h = torch.tensor(samples(model.nin), dtype=torch.float64)
    for layer in d["layers"]:
        linear = torch.nn.Linear(len(layer["weight"][0]), len(layer["weight"]), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor(layer["weight"], dtype=torch.float64))
            linear.bias.copy_(torch.tensor(layer["bias"], dtype=torch.float64))
        h = act[layer["activation"]](linear(h))
    expected = torch.tensor([engine_output(model, x) for x in samples(model.nin)], dtype=torch.float64)
    assert torch.allclose(h.detach().reshape(expected.shape), expected, rtol=0, atol=1e-12)


def test_to_torch_sequential_has_exactly_the_weights():
    torch = pytest.importorskip("torch")
    w = ModelWeights.from_model(MODELS["relu-linear"]())
    net = W.to_torch_sequential(w)
    assert [type(m).__name__ for m in net] == ["Linear", "ReLU", "Linear", "ReLU", "Linear", "Identity"]
    assert net[2].weight.dtype == torch.float64
    assert net[2].weight.tolist() == w.layers[1].weight  # exact: float64 all the way
    assert net[4].bias.tolist() == w.layers[2].bias


# ---------------------------------------------------------------- purity


def test_engine_weights_imports_no_numpy_torch_or_gui_libraries():
    root = Path(__file__).resolve().parents[2]
    code = (
        "import sys, engine.weights; "
        "bad = [m for m in ('numpy', 'torch', 'PySide6', 'matplotlib') if m in sys.modules]; "
        "sys.exit(', '.join(bad) or None)"
    )
    env = {**os.environ, "PYTHONPATH": str(root)}
    result = subprocess.run(
        [sys.executable, "-c", code], check=False, cwd=root, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_snapshot_is_independent_of_the_model():
    model = MODELS["lecture"]()
    w = ModelWeights.from_model(model)
    saved = copy.deepcopy(w)
    for p in model.parameters():
        p.data += 1.0
    assert weight_bits(w) == weight_bits(saved)


@pytest.mark.parametrize("loss", ["sse", "mse", "hinge", "bce"])
def test_torch_parameter_grads_match_the_engine(loss):
    pytest.importorskip("torch")
    from engine.data import moons
    from engine.losses import loss_function

    model = MLP(2, [8, 4, 1], activations=["tanh", "relu", "linear"], seed=3)
    data = moons(12, 0.1, 1)
    total = loss_function(loss)([model(x) for x in data.inputs], data.targets)
    total.backward()
    torch_loss, torch_grads = W.torch_parameter_grads(
        ModelWeights.from_model(model), data.inputs, data.targets, loss
    )
    assert torch_loss == pytest.approx(total.data, rel=1e-12)
    ours = [p.grad for p in model.parameters()]
    assert len(torch_grads) == len(ours)
    assert max(abs(a - b) for a, b in zip(ours, torch_grads)) <= 1e-12

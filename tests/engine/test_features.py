"""Engineered inputs: their values, the spec's input layer, sessions, exports' input names, the CLI."""

import json
import math

import numpy as np
import pytest

from engine.cli import train_main
from engine.data import circles, lecture, moons
from engine.features import (
    EXTRA_INPUTS,
    FeatureError,
    expand_array,
    expand_dataset,
    expand_row,
    input_names,
    input_names_problem,
    weights_input_names,
)
from engine.run_setup import build_trainer
from engine.session import Session, SessionError, load_session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec, SpecError
from engine.weights import ModelWeights, load_json, load_npz, save_json, save_npz, save_torch

ALL = list(EXTRA_INPUTS)


def test_each_extra_input_is_its_formula():
    x1, x2 = 0.7, -1.3
    assert expand_row([x1, x2], ALL) == [x1, x2, x1 * x1, x2 * x2, x1 * x2, math.sin(x1), math.sin(x2)]
    assert expand_row([x1, x2], ["sin x2", "x1^2"]) == [x1, x2, math.sin(x2), x1 * x1]  # the order chosen
    assert expand_row([x1, x2], []) == [x1, x2]


def test_names_are_what_the_views_show():
    assert input_names(2, ALL) == ["x1", "x2", "x1²", "x2²", "x1·x2", "sin x1", "sin x2"]
    assert input_names(3) == ["x1", "x2", "x3"]


def test_grid_points_are_expanded_as_the_samples_are():
    rng = np.random.default_rng(0)
    points = rng.uniform(-3, 3, size=(200, 2))
    expanded = expand_array(points, ALL)
    assert expanded.shape == (200, 7)
    rows = np.array([expand_row(list(p), ALL) for p in points])
    np.testing.assert_array_equal(expanded[:, :5], rows[:, :5])  # squares and products: bit for bit
    np.testing.assert_allclose(expanded[:, 5:], rows[:, 5:], rtol=0, atol=1e-15)


def test_expanding_a_dataset_keeps_its_targets_and_name_and_leaves_it_alone():
    data = moons(6, 0.1, 0)
    expanded = expand_dataset(data, ["x1*x2"])
    assert expanded.targets == data.targets and expanded.name == data.name
    assert expanded.inputs == [[a, b, a * b] for a, b in data.inputs]
    assert data == moons(6, 0.1, 0)
    assert expand_dataset(data, []) is data


@pytest.mark.parametrize(
    ("extras", "message"),
    [
        (["x3^2"], "unknown extra input 'x3\\^2'"),
        (["x1^2", "x1^2"], "chosen twice"),
        ("x1^2", "must be a list"),
        ([7], "unknown extra input 7"),
    ],
)
def test_a_bad_choice_is_refused_by_the_spec(extras, message):
    with pytest.raises(SpecError, match=message):
        ModelSpec(extra_inputs=extras).validate()


def test_extra_inputs_need_two_d_data():
    spec = ModelSpec(extra_inputs=["x1^2"])
    with pytest.raises(SpecError, match="they need 2-D data, not 3 columns"):
        spec.build(3)
    with pytest.raises(SpecError, match="need 2-D data"):
        spec.network_data(lecture())
    with pytest.raises(FeatureError):
        expand_dataset(lecture(), ["x1^2"])


def test_the_input_layer_grows_by_one_node_per_extra_input():
    spec = ModelSpec([3], ["tanh"], "tanh", extra_inputs=["x1^2", "x2^2"])
    assert spec.network_inputs(2) == 4 and spec.build(2).nin == 4
    assert spec.fresh_weights(2).inputs == 4
    assert spec.fresh_weights(2).to_dict() == ModelWeights.from_model(spec.build(2)).to_dict()
    assert spec.parameter_count(2) == 5 * 3 + 4
    assert spec.describe(2) == "MLP 4-3-1 (tanh, tanh) on x1, x2, x1², x2²"
    assert spec.input_names(2) == ["x1", "x2", "x1²", "x2²"]


def test_x1_and_x2_squared_let_a_network_without_hidden_layers_separate_the_circles():
    data = circles(60, 0.05, 0)
    settings = TrainSettings(steps=150, learning_rate=0.2, loss="mse")
    plain = build_trainer(ModelSpec([], [], "tanh"), data, settings).run()[-1]
    settings = TrainSettings(steps=150, learning_rate=0.2, loss="mse")
    squared = build_trainer(ModelSpec([], [], "tanh", extra_inputs=["x1^2", "x2^2"]), data, settings)
    last = squared.run()[-1]
    assert last.accuracy == 1.0 and plain.accuracy < 0.75  # a line cannot; a circle can


# ---- sessions


def test_a_session_keeps_its_extra_inputs_and_an_old_file_loads_without_them(tmp_path):
    spec = ModelSpec([2], ["tanh"], "tanh", extra_inputs=["x1*x2", "sin x1"])
    session = Session(moons(10), spec, TrainSettings(), spec.fresh_weights(2))
    save_session(session, tmp_path / "s.json")
    loaded = load_session(tmp_path / "s.json")
    assert loaded.model.extra_inputs == ["x1*x2", "sin x1"]
    assert loaded.weights.inputs == 4
    d = json.loads((tmp_path / "s.json").read_text())
    del d["model"]["extra_inputs"]
    d["weights"] = None
    (tmp_path / "old.json").write_text(json.dumps(d))
    assert load_session(tmp_path / "old.json").model.extra_inputs == []


def test_a_session_whose_extra_inputs_do_not_fit_is_refused(tmp_path):
    d = Session(lecture(), ModelSpec(), TrainSettings()).to_dict()
    d["model"]["extra_inputs"] = ["x1^2"]
    (tmp_path / "a.json").write_text(json.dumps(d))
    with pytest.raises(SessionError, match="its model does not fit its data: .*need 2-D data"):
        load_session(tmp_path / "a.json")
    d = Session(moons(5), ModelSpec(), TrainSettings()).to_dict()
    d["model"]["extra_inputs"] = ["cos x1"]
    (tmp_path / "b.json").write_text(json.dumps(d))
    with pytest.raises(SessionError, match="its model: unknown extra input 'cos x1'"):
        load_session(tmp_path / "b.json")
    d["model"]["extra_inputs"] = []
    d["weights"] = ModelSpec(extra_inputs=["x1^2"]).fresh_weights(2).to_dict()  # 3 inputs
    (tmp_path / "c.json").write_text(json.dumps(d))
    with pytest.raises(SessionError, match="its weights take 3 inputs"):
        load_session(tmp_path / "c.json")


# ---- exports say which inputs the network expects


def _named_weights() -> tuple[ModelSpec, ModelWeights]:
    spec = ModelSpec([3], ["tanh"], "tanh", extra_inputs=["x1^2", "x1*x2"])
    weights = spec.fresh_weights(2)
    weights.metadata["input_names"] = spec.input_names(2)
    return spec, weights


def test_json_and_npz_exports_carry_the_input_names(tmp_path):
    spec, weights = _named_weights()
    save_json(weights, tmp_path / "w.json")
    save_npz(weights, tmp_path / "w.npz")
    for loaded in (load_json(tmp_path / "w.json"), load_npz(tmp_path / "w.npz")):
        assert weights_input_names(loaded) == ["x1", "x2", "x1²", "x1·x2"]
        assert input_names_problem(loaded, spec.input_names(2)) == ""


def test_the_state_dict_carries_the_input_names_and_still_loads_into_a_plain_sequential(tmp_path):
    torch = pytest.importorskip("torch")
    _, weights = _named_weights()
    save_torch(weights, tmp_path / "w.pt")
    state = torch.load(tmp_path / "w.pt", weights_only=True)
    assert state._metadata[""]["input_names"] == ["x1", "x2", "x1²", "x1·x2"]
    net = torch.nn.Sequential(torch.nn.Linear(4, 3, dtype=torch.float64), torch.nn.Tanh())
    net.append(torch.nn.Linear(3, 1, dtype=torch.float64))
    net.load_state_dict(state)  # the names get in nobody's way
    x = [0.3, -0.4, 0.09, -0.12]
    assert net(torch.tensor([x], dtype=torch.float64)).tanh().item() == pytest.approx(
        weights.predict(x), abs=1e-12
    )


def test_weights_for_other_inputs_are_refused_with_a_message_naming_them():
    _, weights = _named_weights()
    other = ModelSpec([3], ["tanh"], "tanh", extra_inputs=["sin x1", "sin x2"])
    problem = input_names_problem(weights, other.input_names(2))
    assert problem == "they expect the inputs x1, x2, x1², x1·x2; this network takes x1, x2, sin x1, sin x2"
    unnamed = ModelWeights(weights.inputs, weights.layers)  # an older file, or one from elsewhere
    assert "they expect the inputs x1, x2, x3, x4" in input_names_problem(unnamed, other.input_names(2))
    assert input_names_problem(ModelSpec().fresh_weights(3), ["x1", "x2", "x3"]) == ""


@pytest.mark.parametrize("names", [["x1", "x2"], "x1,x2,x3,x4", [1, 2, 3, 4], ["a" * 100] * 4])
def test_malformed_input_names_are_a_problem_not_a_crash(names):
    _, weights = _named_weights()
    weights.metadata["input_names"] = names
    with pytest.raises(FeatureError):
        weights_input_names(weights)
    assert input_names_problem(weights, ["x1", "x2", "x1²", "x1·x2"]) != ""


# ---- the command line


def test_the_cli_trains_on_engineered_inputs_and_names_them_in_the_file(tmp_path, capsys):
    out = tmp_path / "w.json"
    args = ["--preset", "circles", "--samples", "40", "--layers", "", "--steps", "30", "--quiet"]
    assert train_main([*args, "--extra-inputs", "x1^2, x2^2", "--out", str(out)]) == 0
    assert "MLP 4-1 (tanh) on x1, x2, x1², x2²" in capsys.readouterr().err
    weights = load_json(out)
    assert weights.inputs == 4 and weights.metadata["input_names"] == ["x1", "x2", "x1²", "x2²"]
    assert train_main([*args, "--extra-inputs", "x1^3", "--out", str(out)]) == 2
    assert "unknown extra input 'x1^3'" in capsys.readouterr().err
    assert train_main(["--extra-inputs", "x1^2", "--quiet", "--out", str(out)]) == 2  # the lecture: 3-D
    assert "need 2-D data, not 3 columns" in capsys.readouterr().err

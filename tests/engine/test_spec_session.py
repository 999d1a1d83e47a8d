"""The model description the GUI edits, and session files."""

import json
from dataclasses import astuple

import pytest

from engine.data import lecture, moons
from engine.session import Session, SessionError, load_session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec, SpecError, parse_layer_sizes
from engine.train import StepResult, Trainer
from engine.weights import ModelWeights


@pytest.mark.parametrize(
    "text, sizes", [("4, 4", [4, 4]), ("8 8", [8, 8]), ("16;16", [16, 16]), ("", []), ("3", [3])]
)
def test_layer_sizes_parse(text, sizes):
    assert parse_layer_sizes(text) == sizes


@pytest.mark.parametrize(
    "text, message",
    [
        ("4,,x", "Hidden layers: “4,,x” has an empty size"),
        ("4,x", "Hidden layers, layer 2: “x” is not a whole number"),
        ("0", "at least 1"),
        ("-2", "at least 1"),
        ("2.5", "not a whole number"),
        ("300", "at most 256"),
        ("1,1,1,1,1,1,1,1,1", "Hidden layers: 9 layers; at most 8"),
    ],
)
def test_bad_layer_sizes_say_what_is_wrong(text, message):
    with pytest.raises(SpecError, match=message):
        parse_layer_sizes(text)


def test_spec_builds_the_lecture_network_and_counts_it():
    spec = ModelSpec()
    model = spec.build(3)
    assert model.sizes == [4, 4, 1] and [layer.activation for layer in model.layers] == ["tanh"] * 3
    assert spec.parameter_count(3) == len(model.parameters()) == 41
    expanded, stored = spec.graph_size(3)
    # Count the nodes of one forward pass directly, in both forms.
    from engine.neuron import expand_neuron
    from engine.value import topological_order

    out = model.layered([1.0, 2.0, 3.0])  # the form graph_size counts: a node per neuron
    assert len(topological_order(out)) == stored
    # Expanded: rebuild each neuron in the lecture's form, layer by layer.
    xs = [n for n in topological_order(out) if not n._prev and n.label == ""]
    assert len(xs) == 3
    acts = list(xs)
    for layer in model.layers:
        from engine.value import Value

        acts = [expand_neuron(Value.neuron(n.w, acts, n.b, layer.activation)) for n in layer.neurons]
    assert len(topological_order(acts[0])) == expanded


@pytest.mark.parametrize(
    ("sizes", "activations", "output"),
    [([], [], "linear"), ([2], ["relu"], "sigmoid"), ([3, 2], ["linear", "tanh"], "linear")],
)
def test_graph_size_counts_the_nodes_one_forward_pass_makes(sizes, activations, output):
    from engine.neuron import lecture_neuron
    from engine.value import Value, topological_order

    spec = ModelSpec(sizes, activations, output)
    model = spec.build(2)
    xs = [Value(0.5), Value(-1.5)]
    fused = model.layered(xs)
    for layer in model.layers:
        xs = [lecture_neuron(n.w, xs, n.b, layer.activation) for n in layer.neurons]
    assert spec.graph_size(2) == (len(topological_order(xs[0])), len(topological_order(fused)))


def test_spec_round_trips_and_rejects_garbage():
    spec = ModelSpec([8, 3], ["relu", "sigmoid"], "linear", 7)
    assert ModelSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(SpecError):
        ModelSpec.from_dict({"hidden_sizes": [4]})
    with pytest.raises(SpecError, match="unknown activation"):
        ModelSpec.from_dict(
            {"hidden_sizes": [4], "hidden_activations": ["swish"], "output_activation": "tanh"}
        )


def _trained_session() -> Session:
    spec, data, settings = ModelSpec(), lecture(), TrainSettings(steps=5)
    model = spec.build(3)
    trainer = Trainer(model, data, settings)
    trainer.run()
    return Session(data, spec, settings, ModelWeights.from_model(model), trainer.history)


def test_session_round_trips_exactly(tmp_path):
    session = _trained_session()
    path = tmp_path / "s.json"
    save_session(session, path)
    loaded = load_session(path)
    assert (
        loaded.dataset.inputs == session.dataset.inputs and loaded.dataset.targets == session.dataset.targets
    )
    assert loaded.model == session.model and loaded.training == session.training
    assert loaded.weights.to_dict() == session.weights.to_dict()
    assert loaded.history == session.history


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.update(version=2), "newer micrograd-studio"),
        (lambda d: d.update(format="something/else"), "not a micrograd-studio session"),
        (lambda d: d.pop("model"), "missing 'model'"),
        (lambda d: d["dataset"].update(inputs=[[1.0, 2.0], [1.0]]), "row|sample"),
        (
            lambda d: d["training"].update(learning_rate=-1),
            "learning rate must be a number from 1e-05 to 100, not -1",
        ),
        (lambda d: d["model"].update(hidden_sizes=[5, 4]), "do not fit"),
        (lambda d: d["history"].append("junk"), "history"),
    ],
)
def test_bad_sessions_get_a_clear_error(tmp_path, mutate, message):
    d = _trained_session().to_dict()
    mutate(d)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(d))
    with pytest.raises(SessionError, match=message):
        load_session(path)


@pytest.mark.parametrize(
    "text", ['{"format": "micrograd-studio/session", "vers', "[" * 100_000, "[]", "\x00\x01"]
)
def test_truncated_or_hostile_session_files(tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(SessionError):
        load_session(path)


def test_failed_session_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "s.json"
    save_session(_trained_session(), path)
    before = path.read_bytes()
    monkeypatch.setattr("os.replace", lambda *a: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError):
        save_session(Session(moons(10), ModelSpec([2], ["relu"], "linear"), TrainSettings()), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]  # no temporary file left behind


@pytest.mark.parametrize(
    "text, message",
    [
        ("--4", "“--4” is not a whole number; write digits 0-9"),
        ("4, ²", "Hidden layers, layer 2: “²” is not a whole number"),
        ("①", "“①” is not a whole number"),
        ("٣", "“٣” is not a whole number"),  # an Arabic-Indic digit: isdigit() and int() accept it
        ("+4", r"“\+4” is not a whole number"),
        ("4.0", "“4.0” is not a whole number"),
        ("0x4", "“0x4” is not a whole number"),
        ("1e3", "“1e3” is not a whole number"),
        ("4_0", "“4_0” is not a whole number"),
        ("-4", "a layer needs at least 1 neuron, not “-4”"),
        ("9" * 5000, "neurons are more than this scalar engine trains live"),
        ("0" * 5000 + "4", "neurons are more than this scalar engine trains live"),
    ],
)
def test_hostile_layer_sizes_always_raise_spec_error_with_a_message(text, message):
    with pytest.raises(SpecError, match=message):
        parse_layer_sizes(text)


def _saved_session_dict() -> dict:
    return Session(lecture(), ModelSpec(), TrainSettings()).to_dict()


def _at(d: dict, path: str, value: object) -> None:
    *parents, last = path.split("/")
    for key in parents:
        d = d[int(key)] if isinstance(d, list) else d[key]
    if isinstance(d, list):
        d[int(last)] = value
    else:
        d[last] = value


BAD_FIELDS = [
    (
        "model/hidden_sizes/0",
        float("inf"),
        "its model: layer 1: size must be a whole number from 1 to 256, not inf",
    ),
    ("model/hidden_sizes/0", True, "layer 1: size must be a whole number from 1 to 256, not true"),
    ("model/hidden_sizes/0", 4.0, "layer 1: size must be a whole number from 1 to 256, not 4.0"),
    ("model/hidden_sizes/0", "4", "layer 1: size must be a whole number from 1 to 256, not the text '4'"),
    ("model/hidden_sizes", "4, 4", "hidden layer sizes and activations must be lists"),
    ("model/hidden_sizes", [4] * 9, "9 hidden layers; at most 8"),
    ("model/seed", float("inf"), "the model seed must be a whole number from 0 to 2,147,483,647, not inf"),
    ("model/seed", [1, 2], "the model seed must be a whole number from 0 to 2,147,483,647, not a list"),
    ("model/seed", -5, "the model seed must be a whole number from 0 to 2,147,483,647, not -5"),
    ("model/seed", 2**31, "the model seed must be a whole number from 0 to 2,147,483,647, not 2147483648"),
    ("model/seed", False, "the model seed must be a whole number .*, not false"),
    ("model/output_activation", ["tanh"], "unknown activation a list"),
    ("model", [], "the model description must be an object"),
    ("training/learning_rate", 1e6, "the learning rate must be a number from 1e-05 to 100, not 1000000.0"),
    (
        "training/learning_rate",
        "0.1",
        "the learning rate must be a number from 1e-05 to 100, not the text '0.1'",
    ),
    ("training/learning_rate", float("nan"), "the learning rate must be a number from 1e-05 to 100, not nan"),
    ("training/steps", 200_000, "the number of steps must be a whole number from 1 to 100,000, not 200000"),
    ("training/steps", 2**31, "the number of steps must be a whole number from 1 to 100,000"),
    ("training/steps", True, "the number of steps must be a whole number from 1 to 100,000, not true"),
    ("training/steps", 10.0, "the number of steps must be a whole number from 1 to 100,000, not 10.0"),
    ("training/batch_size", -1, "the batch size must be a whole number from 0 to 100,000 .*, not -1"),
    ("training/batch_size", 2**40, "the batch size must be a whole number from 0 to 100,000"),
    ("training/seed", -5, "the mini-batch seed must be a whole number from 0 to 2,147,483,647, not -5"),
    (
        "training/seed",
        [1, 2],
        "the mini-batch seed must be a whole number from 0 to 2,147,483,647, not a list",
    ),
    ("training/l2", 2.0, "the L2 strength must be a number from 0 to 1, not 2.0"),
    ("training/decay", "no", "'decay' must be true or false, not the text 'no'"),
    ("training/zero_grad", 1, "'zero_grad' must be true or false, not 1"),
    ("training/compiled", None, "'compiled' must be true or false, not null"),
    ("training/loss", ["sse"], "unknown loss a list"),
    ("training", "fast", "'training' must be an object, not the text 'fast'"),
    ("dataset/inputs/0/0", "2", "its dataset: sample 1, input 1: '2' is not a number"),
    ("dataset/inputs/0/0", True, "its dataset: sample 1, input 1: True is not a number"),
    ("dataset/inputs/0", 2.0, "each of the dataset's inputs must be a list of numbers"),
    ("dataset/targets", {"a": 1}, "the dataset's 'targets' must be a list, not an object"),
    ("dataset/name", ["x"], "the dataset's name must be text"),
    (
        "history",
        [{"step": float("inf"), "loss": 1.0, "learning_rate": 0.1}],
        "history entry 1: 'step' must be a whole number",
    ),
    (
        "history",
        [{"step": True, "loss": 1.0, "learning_rate": 0.1}],
        "history entry 1: 'step' must be a whole number",
    ),
    (
        "history",
        [{"step": 1, "loss": "1", "learning_rate": 0.1}],
        "history entry 1: 'loss' must be a finite number",
    ),
    ("history", [{"step": 1, "loss": 1.0}], "history entry 1 is missing 'learning_rate'"),
    (
        "history",
        [{"step": 1, "loss": 1.0, "learning_rate": 0.1, "accuracy": 2}],
        "'accuracy' must be null or a number from 0 to 1",
    ),
    (
        "history",
        [{"step": 2, "loss": 1.0, "learning_rate": 0.1}, {"step": 1, "loss": 1.0, "learning_rate": 0.1}],
        "history entry 2: its step \\(1\\) must come after 2",
    ),
    ("history", {"step": 1}, "'history' must be a list, not an object"),
    ("version", True, "no valid version number"),
]


@pytest.mark.parametrize(
    "path, value, message", BAD_FIELDS, ids=[f"{p}={v!r}"[:60] for p, v, _ in BAD_FIELDS]
)
def test_each_bad_session_field_gets_a_session_error_naming_the_field(tmp_path, path, value, message):
    d = _saved_session_dict()
    _at(d, path, value)
    (tmp_path / "bad.json").write_text(json.dumps(d))
    with pytest.raises(SessionError, match=message):
        load_session(tmp_path / "bad.json")


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('"seed": 0}', '"seed": Infinity}', "its model: the model seed must be a whole number .*, not inf"),
        ('"seed": 0}', '"seed": 1e999}', "its model: the model seed must be a whole number .*, not inf"),
        ('"seed": 0}', '"seed": NaN}', "its model: the model seed must be a whole number .*, not nan"),
        ('"seed": 0}', '"seed": ' + "7" * 5000 + "}", "its model: the model seed must be a whole number"),
        (
            '"steps": 100',
            '"steps": ' + "7" * 5000,
            "the number of steps must be a whole number from 1 to 100,000",
        ),
        (
            '"hidden_sizes": [4',
            '"hidden_sizes": [1e999',
            "layer 1: size must be a whole number from 1 to 256",
        ),
    ],
    ids=["Infinity", "1e999", "NaN", "5000 digits", "5000-digit steps", "1e999 size"],
)
def test_numbers_too_big_for_an_integer_field_get_a_session_error(tmp_path, old, new, message):
    text = json.dumps(_saved_session_dict())
    assert old in text
    (tmp_path / "bad.json").write_text(text.replace(old, new, 1))
    with pytest.raises(SessionError, match=message) as info:
        load_session(tmp_path / "bad.json")
    assert "sys." not in str(info.value) and "int_max_str_digits" not in str(info.value)


def test_a_loaded_session_can_always_be_trained_from(tmp_path):
    session = Session(
        moons(30, 0.1, 1), ModelSpec([3], ["relu"], "linear", seed=7), TrainSettings(batch_size=5, seed=9)
    )
    save_session(session, tmp_path / "s.json")
    loaded = load_session(tmp_path / "s.json")
    trainer = Trainer(loaded.model.build(loaded.dataset.n_inputs), loaded.dataset, loaded.training)
    assert trainer.step() is not None
    assert all(isinstance(v, float) for row in loaded.dataset.inputs for v in row)


def _field_types(result: StepResult) -> list[type]:
    """The types of the fields a binary run fills in, then of its per-layer grads."""
    numbers = [result.step, result.loss, result.accuracy, result.learning_rate, result.grad_norm]
    return [type(value) for value in numbers] + sorted({type(g).__name__ for g in result.layer_grads})


PLAIN = [
    int,
    float,
    float,
    float,
    float,
    "float",
]  # step, loss, accuracy, learning rate, gradient norm, layers


@pytest.mark.parametrize("compiled", [False, True], ids=["plain", "compiled"])
def test_history_holds_plain_python_numbers(compiled):
    """Not NumPy scalars from compiled mode: sessions and CSV exports write them as they are."""
    data = moons(20, 0.1, 0)
    trainer = Trainer(
        ModelSpec([4], ["relu"], "linear").build(2), data, TrainSettings(steps=3, compiled=compiled)
    )
    trainer.run()
    assert compiled is (trainer.compiled_reason is None)
    assert [_field_types(r) for r in trainer.history] == [PLAIN] * 3


def test_loaded_history_is_converted_to_plain_numbers(tmp_path):
    d = _trained_session().to_dict()
    # JSON writes 2.0 as 2.0, but a hand-edited file may say 2: still a float once loaded
    d["history"][0].update(step=1, loss=2, accuracy=1, learning_rate=1, grad_norm=3)
    path = tmp_path / "s.json"
    path.write_text(json.dumps(d))
    loaded = load_session(path).history
    assert astuple(loaded[0])[:5] == (1, 2.0, 1.0, 1.0, 3.0)
    assert [_field_types(r) for r in loaded] == [PLAIN] * len(loaded)


def test_layer_grads_survive_a_save_and_an_old_file_without_them_still_opens(tmp_path):
    session = _trained_session()
    assert session.history and all(len(r.layer_grads) == 3 for r in session.history)
    path = tmp_path / "s.json"
    save_session(session, path)
    assert [r.layer_grads for r in load_session(path).history] == [r.layer_grads for r in session.history]
    d = session.to_dict()
    for entry in d["history"]:
        del entry["layer_grads"]  # a file from before the diagnostics
    path.write_text(json.dumps(d))
    assert all(r.layer_grads == () for r in load_session(path).history)


@pytest.mark.parametrize("bad", ["0.1", [0.1, "x"], [-1.0], [float("nan")], [1.0] * 65, {"a": 1}])
def test_bad_layer_grads_in_a_session_are_refused_with_the_entry_named(tmp_path, bad):
    d = _trained_session().to_dict()
    d["history"][1]["layer_grads"] = bad
    path = tmp_path / "s.json"
    path.write_text(json.dumps(d))
    with pytest.raises(SessionError, match="history entry 2: 'layer_grads'"):
        load_session(path)


def test_a_session_with_weights_loads_without_building_its_network(tmp_path, monkeypatch):
    """Checking that the weights fit takes their shapes; 8 layers of 256 must not build 500,000 Values."""
    path = tmp_path / "s.json"
    save_session(_trained_session(), path)
    monkeypatch.setattr(ModelSpec, "build", lambda *a, **k: pytest.fail("load_session built the network"))
    assert load_session(path).weights is not None

"""The model description the GUI edits, and session files."""

import json
from dataclasses import astuple

import pytest

from engine.data import lecture, moons
from engine.session import Session, SessionError, load_session, save_session
from engine.spec import ModelSpec, SpecError, parse_layer_sizes
from engine.train import StepResult, Trainer, TrainSettings
from engine.weights import ModelWeights


@pytest.mark.parametrize(
    "text, sizes", [("4, 4", [4, 4]), ("8 8", [8, 8]), ("16;16", [16, 16]), ("", []), ("3", [3])]
)
def test_layer_sizes_parse(text, sizes):
    assert parse_layer_sizes(text) == sizes


@pytest.mark.parametrize(
    "text, message",
    [
        ("4,,x", "empty layer"),
        ("4,x", "'x' is not a whole number"),
        ("0", "at least 1"),
        ("-2", "at least 1"),
        ("2.5", "not a whole number"),
        ("300", "max 256"),
        ("1,1,1,1,1,1,1,1,1", "at most 8"),
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
    from engine.value import expand_neuron, topological_order

    out = model([1.0, 2.0, 3.0])
    assert len(topological_order(out)) == stored
    # Expanded: rebuild each neuron in the lecture's form, layer by layer.
    xs = [n for n in topological_order(out) if not n._prev and n.label == ""]
    assert len(xs) == 3
    acts = list(xs)
    for layer in model.layers:
        from engine.value import Value

        acts = [expand_neuron(Value.neuron(n.w, acts, n.b, layer.activation)) for n in layer.neurons]
    assert len(topological_order(acts[0])) == expanded


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
        (lambda d: d["training"].update(learning_rate=-1), "positive"),
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


def _field_types(result: StepResult) -> list[type]:
    return [type(value) for value in astuple(result)]


PLAIN = [int, float, float, float, float]  # step, loss, accuracy, learning rate, gradient norm


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
    assert astuple(loaded[0]) == (1, 2.0, 1.0, 1.0, 3.0)
    assert [_field_types(r) for r in loaded] == [PLAIN] * len(loaded)

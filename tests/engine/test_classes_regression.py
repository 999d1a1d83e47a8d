"""Several classes and regression (issue 13, items 1-2), against PyTorch float64 where it has the answer."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import data
from engine.data import DataError, Dataset, make_preset
from engine.losses import ce, softmax_cross_entropy
from engine.nn import MLP
from engine.problem_presets import ALL_PRESETS, CLASS_PRESETS, REGRESSION_PRESETS, preset_task
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.tasks import argmax, class_accuracy, detect_task, r_squared
from engine.train import Trainer
from engine.value import Value, topological_order
from engine.weights import ModelWeights, torch_parameter_grads
from tests.engine.helpers import assert_close

torch = pytest.importorskip("torch")
F = torch.nn.functional

TOL = 1e-12


def torch_ce(logits: list[list[float]], labels: list[int]) -> tuple[float, list[list[float]]]:
    z = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    loss = F.cross_entropy(z, torch.tensor(labels, dtype=torch.long))
    loss.backward()
    return loss.item(), z.grad.tolist()


def engine_ce(logits: list[list[float]], labels: list[int]) -> tuple[float, list[list[float]]]:
    zs = [[Value(v) for v in row] for row in logits]
    loss = ce(zs, [float(y) for y in labels])
    loss.backward()
    return loss.data, [[v.grad for v in row] for row in zs]


def assert_rows_close(ours: list[list[float]], theirs: list[list[float]], what: str) -> None:
    for i, (a, b) in enumerate(zip(ours, theirs)):
        for j, (x, y) in enumerate(zip(a, b)):
            assert_close(x, y, TOL, f"{what}[{i}][{j}]")


# ---------------------------------------------------------------- softmax cross-entropy


logit = st.one_of(st.floats(-30, 30), st.sampled_from([1000.0, -1000.0, 700.0, 0.0]))


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 6).flatmap(
        lambda k: st.tuples(
            st.just(k), st.lists(st.lists(logit, min_size=k, max_size=k), min_size=1, max_size=5)
        )
    ),
    st.data(),
)
def test_cross_entropy_and_its_grads_match_pytorch_on_random_logits(shaped, draw):
    k, logits = shaped
    labels = [draw.draw(st.integers(0, k - 1)) for _ in logits]
    loss, grads = engine_ce(logits, labels)
    want_loss, want_grads = torch_ce(logits, labels)
    assert_close(loss, want_loss, TOL, "loss")
    assert_rows_close(grads, want_grads, "grad")


def test_large_logits_stay_finite_where_the_naive_formula_overflows():
    logits, labels = [[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 999.0], [-1000.0, 1000.0, 0.0]], [2, 0, 1]
    loss, grads = engine_ce(logits, labels)
    assert math.isfinite(loss) and all(math.isfinite(g) for row in grads for g in row)
    want_loss, want_grads = torch_ce(logits, labels)
    assert_close(loss, want_loss, TOL, "loss")
    assert_rows_close(grads, want_grads, "grad")
    with pytest.raises(OverflowError):  # what subtracting the max avoids
        math.exp(1000.0)


def test_the_graph_shows_the_max_as_a_constant_and_the_exps_of_the_shifted_logits():
    z = [Value(2.0, label="z1"), Value(5.0, label="z2"), Value(-1.0, label="z3")]
    loss = softmax_cross_entropy(z, 1)
    nodes = topological_order(loss)
    constants = [n for n in nodes if n.label == "max (constant)"]
    assert len(constants) == 1 and constants[0].data == 5.0 and not constants[0].operands
    # negated once (z - m is z + (-m)), the negation shared by the three shifted logits
    (negation,) = [n for n in nodes if constants[0] in n.operands]
    assert negation.op == "*" and negation.data == -5.0
    assert sum(negation in n.operands for n in nodes) == 3
    assert sum(n.op == "exp" for n in nodes) == 3 and sum(n.op == "log" for n in nodes) == 1
    loss.backward()
    # no gradient is needed through the max: softmax minus one-hot, exactly as PyTorch gives it
    _, want = torch_ce([[2.0, 5.0, -1.0]], [1])
    assert_rows_close([[v.grad for v in z]], want, "grad")


def test_cross_entropy_refuses_a_single_output_and_a_label_out_of_range():
    with pytest.raises(ValueError, match="one output per class"):
        ce([Value(1.0)], [0.0])
    with pytest.raises(ValueError, match="class label 3"):
        ce([[Value(1.0), Value(2.0), Value(0.0)]], [3.0])


@pytest.mark.parametrize("seed", range(5))
def test_an_mlp_with_one_output_per_class_has_pytorchs_loss_and_grads_on_random_networks(seed):
    rng = random.Random(seed)
    k = rng.randint(3, 5)
    hidden = [rng.randint(1, 6) for _ in range(rng.randint(0, 2))]
    acts = [rng.choice(["tanh", "relu", "sigmoid", "linear"]) for _ in hidden] + ["linear"]
    model = MLP(2, [*hidden, k], activations=acts, seed=seed)
    xs = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(7)]
    ys = [float(rng.randrange(k)) for _ in xs]
    loss = ce([model(x) for x in xs], ys)
    model.zero_grad()
    loss.backward()
    want_loss, want_grads = torch_parameter_grads(ModelWeights.from_model(model), xs, ys, "ce")
    assert_close(loss.data, want_loss, TOL, "loss")
    for i, (p, g) in enumerate(zip(model.parameters(), want_grads)):
        assert_close(p.grad, g, TOL, f"grad of parameter {i}")


# ---------------------------------------------------------------- tasks, metrics and data


def test_detected_tasks_follow_the_documented_rule():
    assert detect_task([1.0, -1.0, 1.0]) == "binary"
    assert detect_task([0.0, 1.0, 2.0, 1.0]) == "classes"
    assert detect_task([0.0, 1.0]) == "regression"  # two labels 0/1: a measurement as much as classes
    assert detect_task([0.0, 1.0, 3.0]) == "regression"  # class 2 missing
    assert detect_task([0.5, 2.0, -3.0]) == "regression"


def test_argmax_accuracy_and_r_squared():
    assert argmax([0.1, 0.9, 0.3]) == 1 and argmax([2.0, 2.0]) == 0
    assert class_accuracy([[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 0, 0]], [0.0, 1.0, 1.0, 0.0]) == 0.75
    assert r_squared([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 1.0
    assert r_squared([2.0, 2.0, 2.0], [1.0, 2.0, 3.0]) == 0.0
    assert r_squared([1.0, 1.0], [5.0, 5.0]) is None  # targets that do not vary: no R^2


def test_a_class_label_that_is_not_a_whole_number_is_refused_naming_the_row(tmp_path):
    path = tmp_path / "three.csv"
    path.write_text("x1,x2,label\n0,0,0\n1,1,1\n\n2,2,2.5\n")
    with pytest.raises(DataError, match=r"row 5, column 'label': class label 2.5 is not a whole number"):
        data.read_csv(path, task="classes")
    assert data.read_csv(path).task == "regression"  # detected: not whole numbers


def test_a_csv_of_integer_labels_is_several_classes_and_a_missing_class_is_named(tmp_path):
    path = tmp_path / "three.csv"
    path.write_text("x1,x2,y\n0,0,0\n1,1,1\n2,2,2\n3,3,1\n")
    ds = data.read_csv(path)
    assert (ds.task, ds.n_classes, ds.n_outputs) == ("classes", 3, 3)
    path.write_text("x1,x2,y\n0,0,0\n1,1,1\n2,2,3\n")
    with pytest.raises(DataError, match="class 2 has no samples"):
        data.read_csv(path, task="classes")
    path.write_text("x1,y\n0,0\n1,1\n")
    assert data.read_csv(path, task="classes").n_outputs == 2  # 0/1 as classes when the import says so
    with pytest.raises(DataError, match=r"row 2, column 'y': target 0 is not \+1 or -1"):
        data.read_csv(path, task="binary")


def test_an_old_csv_of_plus_and_minus_one_is_still_two_classes(tmp_path):
    path = tmp_path / "moons.csv"
    data.write_csv(data.moons(20), path)
    assert data.read_csv(path).task == "binary"


@pytest.mark.parametrize("name", [*CLASS_PRESETS, *REGRESSION_PRESETS])
def test_the_new_presets_are_seeded_and_valid(name):
    a, b = make_preset(name, 40, 0.1, 3), make_preset(name, 40, 0.1, 3)
    assert (a.inputs, a.targets) == (b.inputs, b.targets) and len(a) == 40
    assert a.task == preset_task(name) and a.name == name
    a.validate()
    assert (a.inputs, a.targets) != (
        make_preset(name, 40, 0.1, 4).inputs,
        make_preset(name, 40, 0.1, 4).targets,
    )


@pytest.mark.parametrize("k", [3, 5])
def test_class_presets_have_k_classes_dealt_out_evenly(k):
    for name in CLASS_PRESETS:
        ds = make_preset(name, 100, 0.0, 0, classes=k)
        counts = [ds.targets.count(float(c)) for c in range(k)]
        assert ds.n_classes == k and max(counts) - min(counts) <= 1
    with pytest.raises(DataError, match="number of classes must be a whole number from 3 to 8"):
        make_preset("arms", 100, 0.1, 0, classes=9)


def test_regression_presets_are_their_curves_without_noise():
    sine = make_preset("sine", 30, 0.0, 1)
    assert all(y == math.sin(math.pi * x) for (x,), y in zip(sine.inputs, sine.targets))
    assert make_preset("bump", 30, 0.0, 0).n_inputs == 2
    assert set(ALL_PRESETS) >= {"lecture", "moons", "arms", "kblobs", "sine", "abs", "step", "line", "bump"}


def test_a_dataset_validates_its_targets_per_task():
    with pytest.raises(DataError, match="sample 2: target 0.5 is not"):
        Dataset([[0.0], [1.0]], [1.0, 0.5]).validate()
    with pytest.raises(DataError, match="sample 1: class label -1 is not a whole number"):
        Dataset([[0.0], [1.0]], [-1.0, 1.0], task="classes").validate()
    with pytest.raises(DataError, match="unknown kind of problem"):
        Dataset([[0.0]], [1.0], task="ranking").validate()
    Dataset([[0.0], [1.0]], [1e9, -3.25], task="regression").validate()


# ---------------------------------------------------------------- training


def test_a_three_arm_spiral_trains_to_a_high_argmax_accuracy():
    ds = make_preset("arms", 90, 0.0, 0)
    model = ModelSpec([16, 16], ["tanh", "tanh"], "linear", seed=1).build(2, ds.n_outputs)
    trainer = Trainer(model, ds, TrainSettings(learning_rate=0.5, steps=150, loss="ce"))
    history = trainer.run()
    assert history[-1].accuracy > 0.8 and history[-1].loss < history[0].loss
    assert history[-1].r2 is None
    outputs = [[v.data for v in model(x)] for x in ds.inputs]
    assert trainer.evaluate()[1] == class_accuracy(outputs, ds.targets)


def test_a_sine_regression_reports_r_squared_and_no_accuracy():
    ds = make_preset("sine", 40, 0.0, 0)
    model = ModelSpec([16], ["tanh"], "linear", seed=0).build(1)
    trainer = Trainer(model, ds, TrainSettings(learning_rate=0.2, steps=300, loss="mse"))
    history = trainer.run()
    assert history[-1].accuracy is None and history[-1].r2 > 0.9
    assert trainer.evaluate_r2() == pytest.approx(r_squared([model(x).data for x in ds.inputs], ds.targets))


def test_a_loss_or_a_model_that_does_not_fit_the_task_is_refused():
    arms = make_preset("arms", 30, 0.1, 0)
    with pytest.raises(ValueError, match="the loss 'sse' does not fit several classes"):
        Trainer(MLP(2, [4, 3], seed=0), arms, TrainSettings(loss="sse"))
    with pytest.raises(ValueError, match="the model has 1 output but the data needs 3"):
        Trainer(MLP(2, [4, 1], seed=0), arms, TrainSettings(loss="ce"))
    with pytest.raises(ValueError, match="the loss 'hinge' does not fit regression"):
        Trainer(MLP(1, [4, 1], seed=0), make_preset("sine", 20), TrainSettings(loss="hinge"))


def test_compiled_mode_falls_back_for_several_classes_and_says_why():
    arms = make_preset("arms", 30, 0.1, 0)
    trainer = Trainer(MLP(2, [4, 3], seed=0), arms, TrainSettings(loss="ce", compiled=True, steps=2))
    assert trainer.step() is not None
    assert "does not run softmax cross-entropy" in trainer.compiled_reason


def test_compiled_mode_runs_regression_like_the_plain_engine():
    sine = make_preset("sine", 20, 0.05, 0)
    runs = []
    for compiled in (False, True):
        trainer = Trainer(
            MLP(1, [6, 1], seed=0, output_activation="linear"),
            sine,
            TrainSettings(loss="mse", compiled=compiled, steps=20),
        )
        runs.append(trainer.run())
        assert compiled is (trainer.compiled_reason is None)
    for a, b in zip(*runs):
        assert_close(a.loss, b.loss, 1e-9, f"loss of step {a.step}")
        assert_close(a.r2, b.r2, 1e-9, f"R^2 of step {a.step}")


# ---------------------------------------------------------------- exports


def _trained(task: str) -> tuple[ModelWeights, Dataset]:
    """A 3-class model (2-8-8-3, tanh/relu, linear logits) or a sine regression model (1-8-1), trained a little."""
    if task == "classes":
        ds = make_preset("arms", 60, 0.05, 2)
        model = MLP(2, [8, 8, 3], activations=["tanh", "relu", "linear"], seed=3)
        settings = TrainSettings(learning_rate=0.3, steps=20, loss="ce")
    else:
        ds = make_preset("sine", 30, 0.05, 2)
        model = MLP(1, [8, 1], activations=["tanh", "linear"], seed=3)
        settings = TrainSettings(learning_rate=0.2, steps=20, loss="mse")
    Trainer(model, ds, settings).run()
    return ModelWeights.from_model(model, {"task": ds.task}), ds


def _load_every_export(weights: ModelWeights, tmp_path) -> dict[str, ModelWeights]:
    from engine import weights as W

    W.save_json(weights, tmp_path / "w.json")
    W.save_npz(weights, tmp_path / "w.npz")
    W.save_torch(weights, tmp_path / "w.pt")
    return {"json": W.load_json(tmp_path / "w.json"), "npz": W.load_npz(tmp_path / "w.npz")}


@pytest.mark.parametrize("task", ["classes", "regression"])
def test_every_export_predicts_what_pytorch_float64_predicts(task, tmp_path):
    from engine.weights import to_torch_sequential

    weights, ds = _trained(task)
    loaded = _load_every_export(weights, tmp_path)
    # the state_dict, loaded by PyTorch into a Sequential it builds itself (no app code involved)
    layers = []
    for nin, layer in zip([weights.inputs, *weights.sizes], weights.layers):
        layers += [torch.nn.Linear(nin, len(layer.bias), dtype=torch.float64), torch.nn.Identity()]
    layers[1] = {"tanh": torch.nn.Tanh()}[weights.activations[0]]
    if task == "classes":
        layers[3] = torch.nn.ReLU()
    net = torch.nn.Sequential(*layers)
    net.load_state_dict(torch.load(tmp_path / "w.pt", weights_only=True))
    with torch.no_grad():
        reference = net(torch.tensor(ds.inputs, dtype=torch.float64)).tolist()
    assert len(reference[0]) == (3 if task == "classes" else 1)
    for fmt, again in loaded.items():
        assert again.sizes == weights.sizes and again.metadata == {"task": task}
        for i, (x, want) in enumerate(zip(ds.inputs, reference)):
            got = again.predict(x)
            got = got if isinstance(got, list) else [got]
            for j, (a, b) in enumerate(zip(got, want)):
                assert_close(a, b, TOL, f"{fmt} export, sample {i}, output {j}")
        array = again.predict_numpy(ds.inputs).reshape(len(ds), -1).tolist()
        assert_rows_close(array, reference, f"{fmt} export's predict_numpy")
    with torch.no_grad():
        ours = to_torch_sequential(loaded["npz"])(torch.tensor(ds.inputs, dtype=torch.float64)).tolist()
    assert_rows_close(ours, reference, "to_torch_sequential")
    if task == "classes":  # the predicted class too, as argmax of the outputs
        assert [argmax(weights.predict(x)) for x in ds.inputs] == [
            max(range(3), key=r.__getitem__) for r in reference
        ]


def test_the_network_views_numpy_backprop_knows_cross_entropy():
    from engine.network import loss_gradients

    ds = make_preset("arms", 12, 0.1, 0)
    model = MLP(2, [4, 3], seed=0, output_activation="linear")
    loss = ce([model(x) for x in ds.inputs], ds.targets)
    model.zero_grad()
    loss.backward()
    grads = loss_gradients(ModelWeights.from_model(model), ds.inputs, ds.targets, "ce")
    assert_close(grads.loss, loss.data, TOL, "loss")
    theirs = [
        v
        for w, b in zip(grads.weight, grads.bias)
        for row, bb in zip(w.tolist(), b.tolist())
        for v in (*row, bb)
    ]
    for i, (p, g) in enumerate(zip(model.parameters(), theirs)):
        assert_close(p.grad, g, TOL, f"grad of parameter {i}")


def test_the_graph_of_a_sample_ends_in_cross_entropy_over_every_output():
    from engine.graph import dataset_graph, sample_graph

    model = MLP(2, [4, 3], seed=0, output_activation="linear")
    graph = sample_graph(model, [0.1, 0.2], 2.0, "ce", expanded=False)
    labels = {node.value.label for node in graph.nodes}
    assert {"h2.1", "h2.2", "h2.3", "max (constant)", "loss"} <= labels
    loss = ce([model([0.1, 0.2])], [2.0])
    assert graph.root.data == loss.data
    assert len(dataset_graph(model, make_preset("arms", 6, 0.1, 0), "ce")) > len(graph)

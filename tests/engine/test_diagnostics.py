"""Where a diverged step first broke, and the learning-rate range test."""

import math

import pytest

from engine.data import Dataset, lecture, moons
from engine.diagnostics import describe, find_breakdown, suggest_rate, sweep_learning_rates
from engine.nn import MLP
from engine.settings import TrainSettings
from engine.train import Trainer
from engine.value import Value
from engine.weights import ModelWeights


def copy_of(model: MLP) -> MLP:
    return ModelWeights.from_model(model).to_model()


def lecture_mlp(output="linear"):
    return MLP(3, [4, 4, 1], activation="tanh", output_activation=output, seed=0)


def test_a_square_that_overflows_is_named_with_its_sample_and_reason():
    model = lecture_mlp()
    model.layers[-1].neurons[0].b.data = 1e200  # the output is about 1e200 on every sample
    found = find_breakdown(model, lecture(), TrainSettings(loss="sse"), step=7)
    assert (found.op, found.phase, found.sample) == ("**", "forward", 0)
    assert "overflowed" in found.reason and "** 2" in found.node
    assert found.culprit.data == pytest.approx(1e200 - 1.0)  # score - target of sample 1 (target 1)
    assert found.sentence(7).startswith("Step 7 on sample 1, forward pass: ")


def test_an_infinite_weight_is_the_first_non_finite_node():
    model = lecture_mlp()
    model.layers[0].neurons[1].w[2].data = math.inf
    found = find_breakdown(model, lecture(), TrainSettings(), step=1)
    assert found.node == "w1.2.3" and found.culprit is model.layers[0].neurons[1].w[2]
    assert found.sample == 0 and "inf" in found.reason


def test_inf_minus_inf_is_named_not_a_number_at_the_node_that_made_it():
    a, b = Value(1e308, label="a"), Value(1e308, label="b")

    class Net:  # a "model" whose output is (a·10) + (-(b·10)): inf + -inf
        def __call__(self, x):
            return a * 10 + (b * 10) * -1

        def parameters(self):
            return [a, b]

        def zero_grad(self):
            a.grad = b.grad = 0.0

    found = find_breakdown(Net(), Dataset([[0.0]], [1.0]), TrainSettings(), step=1)
    assert found.phase == "forward" and found.op == "*"  # a·10 is the first inf, in creation order
    assert "past the largest float" in found.reason


def test_log_of_zero_and_division_by_zero_are_said_in_words():
    zero = Value(0.0, label="z")
    for build, words in (
        (lambda: zero.log(), "log of 0"),
        (lambda: zero**-1, "division by 0"),
        (lambda: Value(800.0, label="big").exp(), "exp overflowed"),
    ):
        from engine.diagnostics import _first_failure

        found = _first_failure(build)
        assert words in found.reason, found


def test_a_learning_rate_that_throws_a_weight_past_the_limit_is_named_at_the_update():
    model = MLP(1, [1], activation="linear", output_activation="linear", seed=0)
    model.layers[0].neurons[0].w[0].data = 1e13
    settings = TrainSettings(learning_rate=100.0, loss="sse")
    found = find_breakdown(copy_of(model), Dataset([[1.0]], [0.0], task="regression"), settings, step=1)
    assert (found.phase, found.op, found.node) == ("update", "update", "w1.1.1")
    assert "learning rate 100" in found.reason and "overflowed" in found.reason
    # the trainer agrees that this step diverges, for the same reason
    trainer = Trainer(model, Dataset([[1.0]], [0.0], task="regression"), settings)
    assert trainer.step() is None and "a weight reached" in trainer.diverged


def test_a_clean_step_has_no_breakdown():
    assert find_breakdown(lecture_mlp(), lecture(), TrainSettings(), step=1) is None


def test_describe_reads_like_the_lecture():
    x, w, b = Value(2.0, label="x1"), Value(-3.0, label="w1"), Value(6.88, label="b")
    assert describe(x * w + b) == "x1 · w1 + b"
    assert describe((x * w + b) ** 2, depth=3) == "(x1 · w1 + b) ** 2"
    assert describe(Value(0.5)) == "0.5"


def test_the_learning_rate_sweep_leaves_the_model_untouched_and_suggests_a_rate_that_trains():
    model = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    before = [p.data for p in model.parameters()]
    data = moons(100, 0.1, 0)
    settings = TrainSettings(learning_rate=0.1, loss="hinge", l2=1e-4)
    sweep = sweep_learning_rates(copy_of(model), data, settings, steps=40)
    assert [p.data for p in model.parameters()] == before
    assert len(sweep.rates) == len(sweep.losses) >= 10
    assert all(b > a for a, b in zip(sweep.rates, sweep.rates[1:]))
    assert sweep.suggestion is not None and 1e-3 < sweep.suggestion < 1.0
    # the suggested rate trains better in 30 steps than the sweep's lowest rate
    losses = {}
    for rate in (sweep.rates[0], sweep.suggestion):
        trainer = Trainer(
            copy_of(model), data, TrainSettings(learning_rate=rate, steps=30, loss="hinge", l2=1e-4)
        )
        losses[rate] = trainer.run()[-1].loss
    assert losses[sweep.suggestion] < losses[sweep.rates[0]]


def test_the_sweep_stops_once_the_loss_explodes():
    sweep = sweep_learning_rates(copy_of(lecture_mlp()), lecture(), TrainSettings(), steps=60, high=100.0)
    assert len(sweep.losses) < 60
    assert sweep.losses[-1] > 4 * min(sweep.losses) or sweep.rates[-1] < 100.0


def test_suggest_rate_picks_the_steepest_fall_before_the_lowest_point():
    rates = [10 ** (-4 + i * 0.25) for i in range(17)]  # 1e-4 .. 1
    losses = [1.0] * 6 + [0.9, 0.6, 0.3, 0.2, 0.15, 0.14, 0.13, 0.5, 2.0, 8.0, 30.0]
    suggestion = suggest_rate(rates, losses)
    assert rates[6] <= suggestion <= rates[8]
    assert suggest_rate(rates[:4], losses[:4]) is None  # too few points to say
    assert suggest_rate(rates, sorted(losses)) is None  # the loss only rose


def _traced_run(zero_grad: bool, steps: int = 12):
    from engine.diagnostics import ParameterTrace, parameter_names, trace_row

    model = MLP(3, [4, 4, 1], seed=0)
    trainer = Trainer(model, lecture(), TrainSettings(learning_rate=0.01, steps=steps, zero_grad=zero_grad))
    params = model.parameters()
    trace = ParameterTrace(parameter_names(3, [4, 4, 1]))
    rows = []
    while not trainer.done:
        before = [p.data for p in params]
        result = trainer.step()
        rows.append(trace_row(result.step, before, params, zero_grad))
    trace.add(rows)
    return model, trace, rows


def _fresh_grads(data):
    """The gradient backward() gives at these weights, from zero: what one step adds."""
    model = MLP(3, [4, 4, 1], seed=0)
    for p, value in zip(model.parameters(), data):
        p.data = value
    trainer = Trainer(model, lecture(), TrainSettings())
    loss, _ = trainer.loss_on(lecture().inputs, lecture().targets)
    model.zero_grad()
    loss.backward()
    return [p.grad for p in model.parameters()]


def test_without_zero_grad_the_grad_is_the_running_sum_of_what_each_backward_added():
    model, trace, rows = _traced_run(zero_grad=False)
    per_step = [_fresh_grads(row.data) for row in rows]
    for index in (0, 7, 40):  # w1.1.1, a middle weight, the output bias
        history = trace.history(index)
        fresh = [grads[index] for grads in per_step]
        assert history.added == pytest.approx(fresh, rel=1e-9, abs=1e-12)
        running = 0.0
        for step_grad, held in zip(fresh, history.grad):
            running += step_grad
            assert held == pytest.approx(running, rel=1e-12, abs=1e-12)
        assert history.grad[-1] == model.parameters()[index].grad
    assert trace.history(40).name == "b3.1" and trace.history(0).name == "w1.1.1"


def test_with_zero_grad_each_step_adds_exactly_its_grad():
    _, trace, rows = _traced_run(zero_grad=True)
    history = trace.history(3)
    assert history.added == history.grad
    assert history.grad == pytest.approx([g[3] for g in map(_fresh_grads, (r.data for r in rows))], rel=1e-12)
    assert history.data == [row.data[3] for row in rows] and history.steps == list(range(1, 13))


def test_the_trace_keeps_its_budget_and_the_running_sum_stays_right():
    from engine.diagnostics import ParameterTrace

    _, full, rows = _traced_run(zero_grad=False, steps=20)
    small = ParameterTrace(full.names, max_values=2 * len(full.names) * 5)  # room for 5 steps
    small.add(rows)
    assert len(small) == 5
    kept, everything = small.history(7), full.history(7)
    assert kept.steps == everything.steps[-5:] and kept.added == everything.added[-5:]


def test_parameter_names_match_the_engines_labels():
    from engine.diagnostics import parameter_names

    model = MLP(2, [3, 2, 1], seed=4)
    assert parameter_names(2, [3, 2, 1]) == [p.label for p in model.parameters()]

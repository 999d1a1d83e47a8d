"""The held-out test set: the split itself, the trainer's test figures, sessions, the CLI, the lesson."""

import functools
import json
import math

import pytest

from engine.cli import train_main
from engine.data import Dataset, circles, moons
from engine.lessons import LESSONS
from engine.run_setup import build_trainer, network_parts
from engine.session import Session, SessionError, load_session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.split import SplitError, TestSplit, held_out_indices, split_dataset
from engine.train import Trainer
from engine.weights import load_json

# ---- the split


def test_the_split_is_deterministic_and_the_seed_picks_other_samples():
    data = moons(40, 0.2, 3)
    first = held_out_indices(data.targets, 0.3, 7)
    assert first == held_out_indices(data.targets, 0.3, 7)
    assert first != held_out_indices(data.targets, 0.3, 8)
    train, test = split_dataset(data, 0.3, 7)
    assert split_dataset(data, 0.3, 7) == (train, test)
    assert len(test) == 12 and len(train) == 28


def test_the_parts_are_the_data_in_its_order_and_nothing_else():
    data = moons(25, 0.2, 1)
    train, test = split_dataset(data, 0.4, 0)
    held = held_out_indices(data.targets, 0.4, 0)
    assert test.inputs == [data.inputs[i] for i in held]
    assert test.targets == [data.targets[i] for i in held]
    kept = [i for i in range(len(data)) if i not in held]
    assert train.inputs == [data.inputs[i] for i in kept]
    assert sorted(map(tuple, train.inputs + test.inputs)) == sorted(map(tuple, data.inputs))
    assert data == moons(25, 0.2, 1)  # the data itself is left as it was


def test_each_class_gives_its_share_so_twenty_points_keep_both_classes_on_both_sides():
    for seed in range(20):
        train, test = split_dataset(moons(20, 0.4, seed), 0.3, seed)
        assert sorted(test.targets) == [-1.0] * 3 + [1.0] * 3
        assert sorted(train.targets) == [-1.0] * 7 + [1.0] * 7


def test_fraction_zero_is_no_test_set():
    data = moons(10)
    assert split_dataset(data, 0.0, 5) == (data, None)
    assert held_out_indices(data.targets, 0.0, 0) == []


@pytest.mark.parametrize(
    ("targets", "fraction", "held"),
    [
        ([1.0], 0.9, 0),  # one sample: it trains
        ([1.0, -1.0], 0.9, 1),  # one of each class would both go: one stays to train on
        ([1.0, 1.0], 0.9, 1),
        ([1.0, -1.0, 1.0], 0.1, 0),  # a tenth of 3 rounds to none
        ([0.5, 1.5, 2.5, 3.5, -7.25], 0.4, 2),  # regression targets: one group
    ],
)
def test_a_tiny_dataset_keeps_at_least_one_training_sample(targets, fraction, held):
    indices = held_out_indices(targets, fraction, 0)
    assert len(indices) == held
    data = Dataset([[float(i)] for i in range(len(targets))], targets)
    train, test = split_dataset(data, fraction, 0)
    assert len(train) == len(targets) - held >= 1
    assert (test is None) == (held == 0)


@pytest.mark.parametrize("fraction", [-0.1, 0.95, 1.0, math.nan, math.inf, True, "0.3", None])
def test_a_fraction_outside_zero_to_ninety_percent_is_refused(fraction):
    with pytest.raises(SplitError, match="test fraction must be a number from 0 to 0.9"):
        split_dataset(moons(10), fraction, 0)


@pytest.mark.parametrize("seed", [-1, 2**31, 1.5, True, "3"])
def test_a_bad_seed_is_refused(seed):
    with pytest.raises(SplitError, match="seed must be a whole number"):
        TestSplit(0.3, seed).validate()


# ---- the trainer


def test_the_trainer_trains_on_the_training_part_only_and_measures_the_test_part():
    data = moons(30, 0.2, 0)
    spec = ModelSpec([6], ["tanh"], "tanh")
    settings = TrainSettings(steps=15, learning_rate=0.1, loss="mse")
    trainer = build_trainer(spec, data, settings, TestSplit(0.3, 1))
    train, test = split_dataset(data, 0.3, 1)
    alone = Trainer(spec.build(2), train, TrainSettings(steps=15, learning_rate=0.1, loss="mse"))
    probe = Trainer(spec.build(2), test, TrainSettings(loss="mse"))  # same start weights, the test data
    for _ in range(15):
        expected_test = probe.evaluate()  # the weights the step's training loss is measured on
        result, same = trainer.step(), alone.step()
        assert result.loss == same.loss  # the held-out samples change nothing of training
        assert (result.test_loss, result.test_accuracy) == expected_test
        for mine, theirs in zip(probe.model.parameters(), alone.model.parameters()):
            mine.data = theirs.data
    assert [p.data for p in trainer.model.parameters()] == [p.data for p in alone.model.parameters()]


def test_without_a_test_set_the_test_figures_are_none():
    trainer = build_trainer(ModelSpec([3], ["tanh"], "tanh"), moons(12), TrainSettings(steps=2))
    assert trainer.test_set is None
    assert all(r.test_loss is None and r.test_accuracy is None for r in trainer.run())


def test_the_test_loss_uses_the_training_loss_function_with_its_l2():
    data = moons(20, 0.2, 0)
    for loss in ("sse", "mse", "hinge", "bce"):
        settings = TrainSettings(steps=1, loss=loss, l2=0.01)
        trainer = build_trainer(ModelSpec([4], ["relu"], "linear"), data, settings, TestSplit(0.5, 0))
        before = trainer.test_metrics()
        result = trainer.step()
        assert (result.test_loss, result.test_accuracy) == before
        loss_value, _ = trainer.loss_on(trainer.test_set.inputs, trainer.test_set.targets)
        assert trainer.test_metrics()[0] == loss_value.data


def test_compiled_mode_records_the_same_test_figures():
    data = moons(30, 0.2, 0)
    spec = ModelSpec([5], ["tanh"], "tanh")
    runs = [
        build_trainer(spec, data, TrainSettings(steps=10, compiled=compiled), TestSplit(0.3, 0)).run()
        for compiled in (False, True)
    ]
    for plain, compiled in zip(*runs):
        assert compiled.test_loss == pytest.approx(plain.test_loss, rel=1e-12)
        assert compiled.test_accuracy == plain.test_accuracy
        assert type(compiled.test_loss) is float


def test_a_test_set_of_other_width_is_refused():
    spec = ModelSpec([3], ["tanh"], "tanh")
    with pytest.raises(ValueError, match="the test set has 3 columns"):
        Trainer(spec.build(2), moons(10), test_set=Dataset([[1.0, 2.0, 3.0]], [1.0]))


# ---- sessions


def test_a_session_keeps_its_test_split_and_history_test_figures(tmp_path):
    session = Session(moons(20, 0.3, 1), ModelSpec([4], ["tanh"], "tanh"), TrainSettings(steps=3))
    session.split = TestSplit(0.25, 9)
    trainer = build_trainer(session.model, session.dataset, session.training, session.split)
    session.history = trainer.run()
    save_session(session, tmp_path / "s.json")
    loaded = load_session(tmp_path / "s.json")
    assert loaded.split == TestSplit(0.25, 9)
    assert [r.test_loss for r in loaded.history] == [r.test_loss for r in session.history]
    assert [r.test_accuracy for r in loaded.history] == [r.test_accuracy for r in session.history]
    assert all(r.test_loss is not None for r in loaded.history)


def test_an_old_session_without_a_split_loads_with_none(tmp_path):
    d = Session(moons(10), ModelSpec(), TrainSettings()).to_dict()
    del d["test_split"]
    (tmp_path / "old.json").write_text(json.dumps(d))
    assert load_session(tmp_path / "old.json").split == TestSplit()


@pytest.mark.parametrize(
    ("split", "message"),
    [
        ({"fraction": 1.5, "seed": 0}, "its test split: the test fraction must be a number from 0 to 0.9"),
        ({"fraction": 0.3, "seed": -4}, "its test split: the test split's seed must be a whole number"),
        ([0.3], "its test split: the test split must be an object"),
    ],
)
def test_a_bad_split_in_a_session_is_refused_with_a_message(tmp_path, split, message):
    d = Session(moons(10), ModelSpec(), TrainSettings()).to_dict()
    d["test_split"] = split
    (tmp_path / "bad.json").write_text(json.dumps(d))
    with pytest.raises(SessionError, match=message):
        load_session(tmp_path / "bad.json")


@pytest.mark.parametrize("key", ["test_loss", "test_accuracy"])
@pytest.mark.parametrize("value", [-1.0, "0.5", [1]])
def test_a_bad_test_figure_in_a_history_is_refused(tmp_path, key, value):
    d = Session(moons(10), ModelSpec(), TrainSettings()).to_dict()
    d["history"] = [{"step": 1, "loss": 1.0, "learning_rate": 0.1, key: value}]
    (tmp_path / "bad.json").write_text(json.dumps(d))
    with pytest.raises(SessionError, match=f"history entry 1: '{key}' must be null or a finite number"):
        load_session(tmp_path / "bad.json")


# ---- the command line


def test_the_cli_trains_with_a_test_split_and_reports_the_test_loss(tmp_path, capsys):
    out = tmp_path / "w.json"
    args = ["--preset", "circles", "--samples", "40", "--layers", "4", "--steps", "20", "--quiet"]
    assert train_main([*args, "--test-fraction", "0.25", "--test-seed", "3", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "30 samples, 10 held out for testing" in captured.err
    assert "test loss" in captured.out
    metadata = load_json(out).metadata
    spec = ModelSpec([4], ["tanh"], "tanh")
    expected = build_trainer(spec, circles(40), TrainSettings(steps=20), TestSplit(0.25, 3)).run()[-1]
    assert metadata["final_test_loss"] == expected.test_loss
    assert train_main([*args, "--test-fraction", "1.2", "--out", str(out)]) == 2
    assert "the test fraction must be a number from 0 to 0.9, not 1.2" in capsys.readouterr().err


def test_the_cli_takes_the_split_from_a_session_and_a_flag_overrides_it(tmp_path, capsys):
    session = Session(moons(20), ModelSpec([3], ["tanh"], "tanh"), TrainSettings(steps=2))
    session.split = TestSplit(0.5, 0)
    save_session(session, tmp_path / "s.json")
    out = str(tmp_path / "w.json")
    assert train_main(["--session", str(tmp_path / "s.json"), "--quiet", "--out", out]) == 0
    assert "10 held out" in capsys.readouterr().err
    assert train_main(["--session", str(tmp_path / "s.json"), "--test-fraction", "0", "--out", out]) == 0
    assert "held out" not in capsys.readouterr().err


# ---- the overfitting lesson: what its text says is what the numbers do


@functools.cache
def overfitting_history():
    lesson = next(lesson for lesson in LESSONS if lesson.title.startswith("Overfitting"))
    session = lesson.runs[0]()
    trainer = build_trainer(session.model, session.dataset, session.training, session.split)
    trainer.run()
    return lesson, session, trainer


def test_the_overfitting_lesson_shows_the_test_loss_turning_up_while_training_loss_falls():
    lesson, session, trainer = overfitting_history()
    history = trainer.history
    assert trainer.diverged is None and len(history) == 600
    assert (len(trainer.dataset), len(trainer.test_set)) == (14, 6)
    assert session.model.parameter_count(2) == 337
    losses, test_losses = [r.loss for r in history], [r.test_loss for r in history]
    assert all(b < a for a, b in zip(losses, losses[1:]))  # training loss falls at every step
    best = test_losses.index(min(test_losses))
    assert best + 1 == 14
    assert all(b > a for a, b in zip(test_losses[best:], test_losses[best + 1 :]))  # then only up
    first, low, last = history[0], history[best], history[-1]
    assert (round(first.loss, 2), round(last.loss, 3)) == (0.51, 0.066)
    assert (round(first.test_loss, 2), round(low.test_loss, 2), round(last.test_loss, 2)) == (
        0.68,
        0.66,
        3.18,
    )
    assert next(r.step for r in history if r.accuracy == 1.0) == 252 and last.accuracy == 1.0
    assert {round(r.test_accuracy, 2) for r in history} == {0.67}
    for figure in ("600 steps", "0.51 to 0.066", "step 252", "until step 14 (0.68 to 0.66)", "3.18", "67%"):
        assert figure in lesson.text
    assert "337 parameters" in lesson.text


def test_network_parts_split_first_then_add_the_engineered_inputs():
    spec = ModelSpec([2], ["tanh"], "tanh", extra_inputs=["x1^2"])
    data = moons(10, 0.1, 0)
    train, test = network_parts(spec, data, TestSplit(0.2, 0))
    raw_train, raw_test = split_dataset(data, 0.2, 0)
    assert test.inputs == [[*row, row[0] * row[0]] for row in raw_test.inputs]
    assert train.inputs == [[*row, row[0] * row[0]] for row in raw_train.inputs]


def test_in_compiled_mode_the_l2_term_is_the_one_loss_on_adds_bit_for_bit():
    trainer = build_trainer(
        ModelSpec([7, 5], ["relu", "tanh"], "linear"),
        moons(30, 0.2, 0),
        TrainSettings(l2=0.003),
        TestSplit(0.3, 0),
    )
    without_l2 = Trainer(trainer.model, trainer.dataset, TrainSettings(l2=0.0))
    with_l2, _ = trainer.loss_on(trainer.test_set.inputs, trainer.test_set.targets)
    plain, _ = without_l2.loss_on(trainer.test_set.inputs, trainer.test_set.targets)
    assert plain.data + trainer._l2_number() == with_l2.data

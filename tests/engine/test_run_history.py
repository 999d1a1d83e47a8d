"""The loss plot's history, without Qt: which runs are kept, how they change, and the CSV."""

import csv
import io
import math

import pytest

from engine.run_history import CSV_COLUMNS, MAX_RUNS, RunHistory, StepPoint
from engine.train import StepResult


def point(step: int, loss: float = 1.0, accuracy: float | None = 0.5, grad_norm: float = 1.0) -> StepPoint:
    return StepPoint(step, loss, accuracy, grad_norm)


def test_results_go_into_the_current_run_with_their_gradient_norm():
    history = RunHistory()
    run = history.start_run("a", total_steps=3)
    history.add_results([StepResult(1, 2.0, 0.25, 0.05, 3.5), StepResult(2, 1.5, None, 0.05, 0.0)])
    assert history.current is run and history.runs == [run]
    assert (run.steps, run.losses, run.accuracies, run.grad_norms) == (
        [1, 2],
        [2.0, 1.5],
        [0.25, None],
        [3.5, 0.0],
    )
    assert run.has_accuracy and run.has_grad_norm and not run.finished
    history.add_results([point(3)])
    assert run.finished


def test_a_step_without_a_usable_gradient_norm_is_a_gap():
    class OldStep:  # a step from before the gradient norm was recorded: no attribute at all
        step, loss, accuracy = 1, 0.5, None

    history = RunHistory()
    run = history.add_results([OldStep(), point(2, grad_norm=math.nan), point(3, grad_norm=-1.0)])
    assert run.label == "run 1"  # results with no run start one
    assert all(math.isnan(n) for n in run.grad_norms) and not run.has_grad_norm


def test_whether_a_figure_was_recorded_follows_the_points_added_since_the_last_answer():
    # the answers are remembered between questions (the Loss tab asks at every redraw), so they
    # must follow the steps added after them, and forget everything when the run is reset
    history = RunHistory()
    run = history.start_run("a")
    history.add_results([StepResult(k, 1.0, None, 0.1, math.nan) for k in range(1, 1001)])
    assert not (run.has_test or run.has_accuracy or run.has_grad_norm or run.has_r2)
    history.add_results([StepResult(1001, 1.0, 0.5, 0.1, 2.0, test_loss=0.7)])
    assert run.has_test and run.has_accuracy and run.has_grad_norm and not run.has_r2
    history.add_results([StepResult(1002, 1.0, None, 0.1, math.nan, r2=0.9)])
    assert run.has_r2 and run.has_test  # a figure once recorded stays recorded
    history.reset_current()
    assert not (run.has_test or run.has_accuracy or run.has_grad_norm or run.has_r2)
    history.add_results([StepResult(1, 1.0, None, 0.1, math.nan, test_loss=0.2)])
    assert run.has_test and not run.has_accuracy


def test_every_change_of_points_moves_the_revision():
    history = RunHistory()
    run = history.start_run("a")
    seen = {run.revision}
    history.add_results([point(1)])
    seen.add(run.revision)
    history.reset_current()
    seen.add(run.revision)
    assert len(seen) == 3 and run.steps == run.grad_norms == []
    assert history.add_results([]) is None and run.revision in seen  # nothing added, nothing moved


def test_a_new_run_makes_the_old_one_earlier_in_order():
    history = RunHistory()
    for label in ("a", "b", "c"):
        history.start_run(label)
        history.add_results([point(1)])
    a, b, c = history.runs
    assert (a.earlier_index, b.earlier_index, c.earlier_index) == (0, 1, None)
    assert c.is_current and not a.is_current


def test_a_run_without_points_is_renamed_not_kept():
    history = RunHistory()
    first = history.start_run("typo", total_steps=10)
    again = history.start_run("right", total_steps=0)
    assert again is first and history.runs == [first]
    assert (first.label, first.total_steps) == ("right", None)


def test_at_most_max_runs_are_kept_dropping_the_oldest():
    history = RunHistory()
    for k in range(MAX_RUNS + 2):
        history.start_run(f"run {k}")
        history.add_results([point(1)])
    assert [run.label for run in history.runs] == [f"run {k}" for k in range(2, MAX_RUNS + 2)]
    # an earlier run keeps the index it got, so that a view's colour for it never changes
    assert [run.earlier_index for run in history.runs] == [2, 3, 4, 5, 6, None]


def test_clear_earlier_keeps_the_current_run():
    history = RunHistory(max_runs=3)
    for label in ("a", "b"):
        history.start_run(label)
        history.add_results([point(1)])
    history.clear_earlier()
    assert [run.label for run in history.runs] == ["b"]
    with pytest.raises(ValueError):
        RunHistory(max_runs=0)


def test_runs_is_a_copy_of_the_list():
    history = RunHistory()
    history.start_run("a")
    history.runs.clear()
    assert len(history.runs) == 1


def test_csv_keeps_every_value_exactly_and_leaves_unknown_ones_empty():
    history = RunHistory()
    history.start_run("lr 0.05 · zero_grad on")
    history.add_results([point(1, 0.1 + 0.2, 1 / 3, 1 / 7), point(2, 1e-300, None, 0.0)])
    history.start_run('quote "and, comma"')
    history.add_results([point(1, math.inf, 0.0, math.nan)])
    rows = list(csv.reader(io.StringIO(history.csv_text())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert CSV_COLUMNS == (
        "run",
        "label",
        "step",
        "loss",
        "accuracy",
        "grad_norm",
        "r2",
        "test_loss",
        "test_accuracy",
    )
    assert rows[1:] == [
        ["1", "lr 0.05 · zero_grad on", "1", repr(0.1 + 0.2), repr(1 / 3), repr(1 / 7), "", "", ""],
        ["1", "lr 0.05 · zero_grad on", "2", "1e-300", "", "0.0", "", "", ""],
        ["2", 'quote "and, comma"', "1", "inf", "0.0", "", "", "", ""],
    ]
    assert float(rows[1][3]) == 0.1 + 0.2 and float(rows[1][5]) == 1 / 7


def test_csv_has_the_r2_and_test_set_figures_of_the_steps_that_have_them():
    history = RunHistory()
    history.start_run("regression with a test set")
    history.add_results(
        [
            StepResult(1, 0.5, None, 0.05, 2.0, r2=0.25, test_loss=0.75),
            StepResult(2, 0.4, None, 0.05, 1.0, r2=1 / 3, test_loss=0.1 + 0.2),
        ]
    )
    history.start_run("classes with a test set")
    history.add_results([StepResult(1, 0.9, 0.5, 0.05, 1.0, test_loss=1.25, test_accuracy=2 / 3)])
    rows = list(csv.reader(io.StringIO(history.csv_text())))[1:]
    assert [row[6:] for row in rows] == [
        ["0.25", "0.75", ""],
        [repr(1 / 3), repr(0.1 + 0.2), ""],
        ["", "1.25", repr(2 / 3)],
    ]
    assert float(rows[1][6]) == 1 / 3 and float(rows[2][8]) == 2 / 3


def test_an_empty_history_exports_the_header_only():
    assert RunHistory().csv_text() == ",".join(CSV_COLUMNS) + "\n"

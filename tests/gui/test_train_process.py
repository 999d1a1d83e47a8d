"""The training child's loop, driven without a process or Qt: commands in, events out, in order."""

from __future__ import annotations

import io
import pickle
import queue

import pytest

from engine.data import lecture, moons
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.train import Trainer
from engine.weights import ModelWeights
from gui.processes.train_process import TrainingProcess, TrainJob, _Server, serve


def job(steps: int = 5, **settings) -> TrainJob:
    return TrainJob(ModelSpec(), lecture(), TrainSettings(steps=steps, **settings))


class During:
    """A command that arrives while a run is stepping (read between two steps)."""

    def __init__(self, command: tuple):
        self.command = command


class Script:
    """An inbox that hands out commands in order; During(...) ones only while a run reads them."""

    def __init__(self, commands: tuple):
        self.items = [*commands, None]  # None: the parent closed the pipe

    def get(self) -> tuple | None:
        item = self.items.pop(0)
        return item.command if isinstance(item, During) else item

    def empty(self) -> bool:
        return not (self.items and isinstance(self.items[0], During))


def run_server(*commands: tuple | During) -> list[tuple]:
    """Feed `commands` (then the end of input) to the child's loop; return what it sent."""
    events: list[tuple] = []
    _Server(Script(commands), events.append).serve()
    return events


def states(events: list[tuple]) -> list[tuple]:
    return [(e[1], e[2]) for e in events if e[0] == "state"]


def steps_reported(events: list[tuple], generation: int | None = None) -> list[int]:
    return [r.step for e in events if e[0] == "progress" and generation in (None, e[1]) for r in e[2]]


def test_a_run_reports_running_every_step_and_finished():
    events = run_server(("start", 1, job(steps=5)), ("run", 1))
    assert states(events) == [(1, "running"), (1, "finished")]
    assert steps_reported(events) == [1, 2, 3, 4, 5]
    assert events[-1][3] == "Finished 5 steps."


def test_the_child_trains_exactly_as_the_engine_does():
    events = run_server(("start", 1, job(steps=20)), ("run", 1))
    losses = [r.loss for e in events if e[0] == "progress" for r in e[2]]
    reference = Trainer(ModelSpec().build(3), lecture(), TrainSettings(steps=20))
    assert losses == [r.loss for r in reference.run()]
    last_weights = [e for e in events if e[0] == "progress"][-1][3]
    assert last_weights == ModelWeights.from_model(reference.model)


def test_step_runs_one_step_then_pauses():
    events = run_server(("start", 1, job()), ("step", 1), ("step", 1))
    assert states(events) == [(1, "running"), (1, "paused"), (1, "running"), (1, "paused")]
    assert steps_reported(events) == [1, 2]
    assert events[-1][3] == "Paused at step 2."


def test_pause_read_during_a_run_stops_it_after_the_current_step():
    events = run_server(("start", 1, job(steps=1000)), ("run", 1), During(("pause", 1)))
    assert states(events) == [(1, "running"), (1, "paused")]
    assert steps_reported(events) == [1]


def test_pause_then_run_resumes_in_order():
    """The "No" to Reset training?: a pause and a resume, however fast, end in training."""
    events = run_server(("start", 1, job(steps=3)), ("run", 1), During(("pause", 1)), During(("run", 1)))
    assert states(events) == [(1, "running"), (1, "finished")]
    assert steps_reported(events) == [1, 2, 3]


def test_pause_then_run_after_the_pause_took_effect_resumes():
    events = run_server(("start", 1, job(steps=3)), ("run", 1), During(("pause", 1)), ("run", 1))
    assert states(events) == [(1, "running"), (1, "paused"), (1, "running"), (1, "finished")]
    assert steps_reported(events) == [1, 2, 3]


def test_pause_then_step_during_a_run_takes_one_more_step():
    events = run_server(("start", 1, job(steps=9)), ("run", 1), During(("pause", 1)), During(("step", 1)))
    assert states(events) == [(1, "running"), (1, "paused")]
    assert steps_reported(events) == [1, 2]


def test_commands_for_an_old_generation_are_ignored():
    events = run_server(
        ("start", 1, job(steps=3)),
        ("start", 2, job(steps=2)),
        ("run", 1),  # a late click for the replaced run
        ("settings", 1, TrainSettings(steps=50)),
        ("run", 2),
    )
    assert states(events) == [(2, "running"), (2, "finished")]
    assert steps_reported(events) == [1, 2]


def test_a_dropped_run_never_starts():
    """Cancel before start: the drop arrives before the run and wins."""
    events = run_server(("start", 1, job()), ("drop", 1), ("run", 1), ("step", 1))
    assert events == []


def test_a_new_run_during_a_run_ends_the_old_one_first():
    events = run_server(
        ("start", 1, job(steps=1000)), ("run", 1), During(("start", 2, job(steps=2))), ("run", 2)
    )
    assert states(events) == [(1, "running"), (1, "paused"), (2, "running"), (2, "finished")]
    assert steps_reported(events, 2) == [1, 2]


def test_settings_during_a_run_apply_from_the_next_step():
    events = run_server(
        ("start", 1, job(steps=1000)),
        ("run", 1),
        During(("settings", 1, TrainSettings(steps=3, learning_rate=0.5))),
    )
    results = [r for e in events if e[0] == "progress" for r in e[2]]
    assert [r.learning_rate for r in results] == [0.05, 0.5, 0.5]
    assert states(events)[-1] == (1, "finished")


def test_more_steps_after_finishing_make_the_run_paused_again():
    events = run_server(
        ("start", 1, job(steps=2)), ("run", 1), ("settings", 1, TrainSettings(steps=4)), ("run", 1)
    )
    assert states(events) == [(1, "running"), (1, "finished"), (1, "paused"), (1, "running"), (1, "finished")]
    assert steps_reported(events) == [1, 2, 3, 4]


def test_a_job_that_cannot_build_reports_failed_and_nothing_runs():
    bad = TrainJob(ModelSpec(), lecture(), TrainSettings(learning_rate=float("nan")))
    events = run_server(("start", 1, bad), ("run", 1))
    assert [e[2] for e in events] == ["failed"]
    assert "learning rate" in events[0][3]


def test_divergence_is_reported_with_its_message():
    spec = ModelSpec([16, 16], ["relu", "relu"], "linear")
    diverging = TrainJob(spec, moons(100, 0.1, 0), TrainSettings(learning_rate=50.0, loss="mse", steps=100))
    events = run_server(("start", 1, diverging), ("run", 1))
    assert states(events)[-1] == (1, "diverged")
    assert "diverged at step" in events[-1][3]


def test_job_problem_is_checked_without_building_the_network(monkeypatch):
    three_inputs = ModelWeights.from_model(ModelSpec().build(3))
    wider = ModelWeights.from_model(ModelSpec([5, 4], ["tanh", "tanh"]).build(3))
    monkeypatch.setattr(ModelSpec, "build", lambda *a: pytest.fail("built the network"))
    assert job().problem() is None
    assert "inputs" in TrainJob(ModelSpec(), moons(10, 0.1, 0), TrainSettings(), three_inputs).problem()
    assert "do not fit" in TrainJob(ModelSpec(), lecture(), TrainSettings(), wider).problem()


def test_serve_speaks_pickled_tuples_over_byte_streams():
    commands = io.BytesIO()
    for command in [("start", 7, job(steps=2)), ("step", 7)]:
        pickle.dump(command, commands)
    commands.seek(0)
    events = io.BytesIO()
    serve(commands, events)
    events.seek(0)
    received = []
    while events.tell() < len(events.getvalue()):
        received.append(pickle.load(events))
    assert states(received) == [(7, "running"), (7, "paused")]
    assert steps_reported(received) == [1]


def test_the_real_child_process_trains_and_ends_when_killed():
    arrived: queue.SimpleQueue = queue.SimpleQueue()
    process = TrainingProcess(arrived.put)
    process.send("start", 1, job(steps=3))
    process.send("run", 1)
    seen = []
    while not seen or seen[-1][:3] != ("state", 1, "finished"):
        seen.append(arrived.get(timeout=60))
    assert steps_reported(seen) == [1, 2, 3]
    pid = process.pid
    assert pid is not None
    process.kill()
    assert process.pid is None
    process.kill()  # twice is fine


def test_a_child_that_dies_is_reported_and_replaced():
    import os
    import signal

    arrived: queue.SimpleQueue = queue.SimpleQueue()
    process = TrainingProcess(arrived.put)
    process.send("start", 1, job(steps=100_000))
    process.send("run", 1)
    assert arrived.get(timeout=60)[:3] == ("state", 1, "running")
    os.kill(process.pid, signal.SIGKILL)
    event = arrived.get(timeout=60)
    while event[0] != "exited":
        event = arrived.get(timeout=60)
    assert event[-1] != 0  # ("exited", return code)
    process.send("start", 2, job(steps=1))  # a new child takes the next run
    process.send("run", 2)
    while event[:3] != ("state", 2, "finished"):
        event = arrived.get(timeout=60)
    process.close()


def test_every_step_sends_its_trace_row_before_its_progress():
    events = run_server(("start", 1, job(steps=6, zero_grad=False)), ("run", 1))
    traced = [row for e in events if e[0] == "trace" for row in e[2]]
    assert [row.step for row in traced] == steps_reported(events) == [1, 2, 3, 4, 5, 6]
    kinds = [e[0] for e in events if e[0] in ("trace", "progress")]
    assert kinds == ["trace", "progress"] * (len(kinds) // 2)
    # the rows are the engine's: data before each step, grads as the update used them
    reference = Trainer(ModelSpec().build(3), lecture(), TrainSettings(steps=6, zero_grad=False))
    params = reference.model.parameters()
    for row in traced:
        before = [p.data for p in params]
        reference.step()
        assert list(row.data) == before and list(row.grad) == [p.grad for p in params]
        assert row.zero_grad is False


def test_a_network_too_large_to_trace_trains_without_rows():
    big = TrainJob(ModelSpec([80, 80]), lecture(), TrainSettings(steps=2))  # 6,801 parameters
    events = run_server(("start", 1, big), ("run", 1))
    assert steps_reported(events) == [1, 2] and not [e for e in events if e[0] == "trace"]


def test_a_diverged_run_says_where_it_first_broke_before_it_says_diverged():
    model = ModelSpec([4], ["tanh"], "linear")
    weights = ModelWeights.from_model(model.build(3))
    weights.layers[-1].bias[0] = 1e200  # the square of the error overflows on the first sample
    diverging = TrainJob(model, lecture(), TrainSettings(steps=5, loss="sse"), weights)
    events = run_server(("start", 1, diverging), ("run", 1))
    kinds = [e[0] for e in events]
    assert kinds[-2:] == ["breakdown", "state"] and events[-1][2] == "diverged"
    _, _, step, found = events[-2]
    assert step == 1 and found.op == "**" and found.sample == 0 and "overflowed" in found.reason
    assert found.culprit is None  # the node stays in the child; its description travels
    pickle.dumps(events[-2])


def _parameters(weights: ModelWeights) -> list[float]:
    return [p.data for p in weights.to_model().parameters()]


def test_a_typed_parameter_is_set_exactly_and_the_next_step_starts_from_it():
    events = run_server(("start", 1, job(steps=5)), ("step", 1), ("set", 1, 4, 0.123456789), ("step", 1))
    edited = [e for e in events if e[0] == "edited"]
    assert [(e[2], e[3], e[4]) for e in edited] == [(1, 4, 0.123456789)]
    held = _parameters(edited[0][5])
    assert held[4] == 0.123456789  # exactly the typed value
    before = _parameters([e for e in events if e[0] == "progress"][0][3])
    assert [i for i, (a, b) in enumerate(zip(before, held)) if a != b] == [4]
    # the step after it is the engine's step from the edited weights: the loss curve shows the jump
    reference = Trainer(edited[0][5].to_model(), lecture(), TrainSettings(steps=5))
    second = [r for e in events if e[0] == "progress" for r in e[2]][1]
    assert second.loss == reference.step().loss


def test_a_parameter_typed_during_a_run_is_taken_between_two_steps():
    events = run_server(("start", 1, job(steps=4)), ("run", 1), During(("set", 1, 0, -2.5)))
    kinds = [e[0] for e in events]
    edited = events[kinds.index("edited")]
    assert edited[2] == 1 and _parameters(edited[5])[0] == -2.5  # after the first step, before the second
    assert steps_reported(events) == [1, 2, 3, 4]


def test_a_set_for_another_run_or_out_of_range_changes_nothing():
    events = run_server(
        ("start", 2, job(steps=3)),
        ("set", 1, 0, 5.0),
        ("set", 2, 10_000, 5.0),
        ("set", 2, 0, "5"),
        ("step", 2),
    )
    assert not [e for e in events if e[0] == "edited"]

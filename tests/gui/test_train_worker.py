"""TrainController: the one training state, moved by the training process's reports; old runs ignored."""

from __future__ import annotations

import pytest

from engine.data import lecture
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.train import StepResult
from engine.weights import ModelWeights
from gui.processes.train_process import TrainJob
from gui.processes.train_worker import TrainController

TIMEOUT_MS = 60_000


@pytest.fixture
def controller(qtbot):
    c = TrainController()
    yield c
    c.shutdown()


def job(steps: int = 5, **settings) -> TrainJob:
    return TrainJob(ModelSpec(), lecture(), TrainSettings(steps=steps, **settings))


def record(controller: TrainController) -> list[tuple]:
    seen: list[tuple] = []
    controller.state_changed.connect(lambda state, message: seen.append(("state", state)))
    controller.progressed.connect(
        lambda results, weights, rate: seen.append(("steps", [r.step for r in results]))
    )
    controller.failed.connect(lambda message: seen.append(("failed", message)))
    return seen


def test_a_run_goes_idle_training_finished_with_every_step(controller, qtbot):
    seen = record(controller)
    controller.start(job(steps=5))
    assert controller.state == "idle" and controller.has_run
    with qtbot.waitSignal(controller.halted, timeout=TIMEOUT_MS) as halted:
        controller.resume()
        assert controller.state == "training"
    assert halted.args == ["finished", "Finished 5 steps."]
    assert controller.state == "finished"
    assert [s for kind, value in seen if kind == "steps" for s in value] == [1, 2, 3, 4, 5]
    assert [value for kind, value in seen if kind == "state"] == ["training", "finished"]


def test_settings_reach_the_next_steps(controller, qtbot):
    controller.start(job(steps=100_000))
    rates: list[float] = []
    controller.progressed.connect(lambda results, *_: rates.extend(r.learning_rate for r in results))
    controller.resume()
    qtbot.waitUntil(lambda: len(rates) > 2, timeout=TIMEOUT_MS)
    controller.update_settings(TrainSettings(steps=100_000, learning_rate=0.5))
    qtbot.waitUntil(lambda: rates[-1] == 0.5, timeout=TIMEOUT_MS)
    assert set(rates) == {0.05, 0.5} and rates == sorted(rates, key=lambda r: r == 0.5)


def test_reports_of_a_reset_run_are_dropped(controller, qtbot):
    seen = record(controller)
    controller.start(job(steps=100_000))
    controller.resume()
    qtbot.waitUntil(lambda: any(kind == "steps" for kind, _ in seen), timeout=TIMEOUT_MS)
    old_generation = controller._generation
    controller.reset()
    assert controller.state == "idle" and not controller.has_run
    seen.clear()
    # what the old run had sent before it was killed, arriving late
    result = StepResult(99, 0.1, None, 0.05, 1.0)
    weights = ModelWeights.from_model(ModelSpec().build(3))
    controller._on_event(("progress", old_generation, [result], weights, 10.0))
    controller._on_event(("state", old_generation, "paused", "Paused at step 99."))
    assert seen == [] and controller.state == "idle"


def test_a_run_dropped_before_it_started_never_reports(controller, qtbot):
    seen = record(controller)
    controller.start(job(steps=3))
    controller.reset()  # before the process read the start
    controller.start(job(steps=2))
    with qtbot.waitSignal(controller.halted, timeout=TIMEOUT_MS):
        controller.resume()
    assert [s for kind, value in seen if kind == "steps" for s in value] == [1, 2]


def test_a_run_that_cannot_start_says_why_and_is_idle(controller, qtbot):
    with qtbot.waitSignal(controller.failed, timeout=TIMEOUT_MS) as failed:
        controller.start(job(learning_rate=float("nan")))
        controller.resume()
    assert "learning rate" in failed.args[0]
    assert controller.state == "idle" and not controller.has_run


def test_a_process_that_dies_is_reported_and_the_next_run_works(controller, qtbot):
    import os
    import signal

    controller.start(job(steps=100_000))
    controller.resume()
    qtbot.waitUntil(lambda: controller.process_id is not None, timeout=TIMEOUT_MS)
    with qtbot.waitSignal(controller.failed, timeout=TIMEOUT_MS) as failed:
        os.kill(controller.process_id, signal.SIGKILL)
    assert "stopped unexpectedly" in failed.args[0]
    assert controller.state == "idle"
    controller.start(job(steps=2))
    with qtbot.waitSignal(controller.halted, timeout=TIMEOUT_MS) as halted:
        controller.resume()
    assert halted.args[0] == "finished"

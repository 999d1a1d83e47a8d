import functools

import pytest

from engine.lessons import LESSONS
from engine.run_setup import build_trainer
from engine.train import Trainer


@functools.cache
def trained(lesson_index: int, run_index: int) -> Trainer:
    """A lesson's run trained headless (once per test session: the moons runs take seconds)."""
    session = LESSONS[lesson_index].runs[run_index]()
    trainer = build_trainer(session.model, session.dataset, session.training, session.split)
    trainer.run()
    return trainer


@pytest.mark.parametrize("index", range(len(LESSONS)), ids=lambda i: LESSONS[i].title[:30])
def test_every_run_of_every_lesson_trains_to_its_end_headless(index):
    for run_index, make in enumerate(LESSONS[index].runs):
        trainer = trained(index, run_index)
        assert trainer.diverged is None and trainer.step_count == make().training.steps


def test_each_lesson_makes_fresh_sessions_so_a_replay_starts_over():
    for lesson in LESSONS:
        for make in lesson.runs:
            first, second = make(), make()
            assert first is not second and first.training is not second.training
            assert first.training == second.training


def lesson_index(words: str) -> int:
    return next(i for i, lesson in enumerate(LESSONS) if words in lesson.title)


def test_the_zero_grad_lesson_shows_the_damage_plainly():
    index = lesson_index("Forgetting zero_grad: the same run")
    lesson = LESSONS[index]
    with_zero_grad, without = (trained(index, run).history for run in range(2))
    assert len(with_zero_grad) == len(without) == 300
    assert without[-1].loss >= 10 * with_zero_grad[-1].loss  # 4.68 against 0.027 here
    norms = [r.grad_norm for r in without]
    assert norms[-1] > 5 * norms[0] and norms[-1] > 100 * with_zero_grad[-1].grad_norm
    assert "gradient norm" in lesson.text


def test_the_lecture_lesson_without_zero_grad_reaches_zero_loss_with_a_stale_gradient():
    index = lesson_index("loss of 0")
    lesson = LESSONS[index]
    trainer = trained(index, 0)
    history = trainer.history
    assert history[-1].loss < 1e-20 and history[-1].grad_norm > 16  # what the text explains
    first = [p.data for p in lesson.runs[0]().model.build(3).parameters()]
    length = sum(p.data**2 for p in trainer.model.parameters()) ** 0.5
    assert length > 10 * sum(x * x for x in first) ** 0.5  # the weights ran away

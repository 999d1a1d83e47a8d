import pytest

from engine.lessons import LESSONS
from engine.train import Trainer


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.title[:30])
def test_every_run_of_every_lesson_trains_to_its_end_headless(lesson):
    for make in lesson.runs:
        session = make()
        settings = session.training
        trainer = Trainer(session.model.build(session.dataset.n_inputs), session.dataset, settings)
        trainer.run()
        assert trainer.diverged is None and trainer.step_count == settings.steps


def test_each_lesson_makes_fresh_sessions_so_a_replay_starts_over():
    for lesson in LESSONS:
        for make in lesson.runs:
            first, second = make(), make()
            assert first is not second and first.training is not second.training
            assert first.training == second.training

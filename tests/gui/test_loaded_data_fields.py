"""The Data panel's preset fields after a session or a lesson is loaded: they describe the data loaded
(its recipe), and Regenerate makes that very data again; when they cannot, the panel says so."""

import json

import pytest

from engine.data import Dataset, make_preset, moons
from engine.lessons import LESSONS
from engine.session import Session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec


def bits(dataset: Dataset) -> list[str]:
    return [float(v).hex() for row in dataset.inputs for v in row] + [float(t).hex() for t in dataset.targets]


def fields(window) -> tuple:
    panel = window.data_panel
    return panel.samples_spin.value(), panel.noise_spin.value(), panel.seed_spin.value()


def regenerate(window, qtbot) -> Dataset:
    panel = window.data_panel
    with qtbot.waitSignal(panel.dataset_changed, timeout=2000) as blocker:
        panel.regenerate_button.click()
    return blocker.args[0]


def overfitting_lesson() -> int:
    return next(i for i, lesson in enumerate(LESSONS) if lesson.title.startswith("Overfitting"))


def choose_other_settings(window) -> None:
    """The panel's fields at values other than the lesson's, as after the user's own choice."""
    panel = window.data_panel
    panel.preset_combo.setCurrentIndex(panel.preset_combo.findData("circles"))
    panel.noise_spin.setValue(0.1)
    panel.seed_spin.setValue(0)
    panel.samples_spin.setValue(100)


def saved_file(tmp_path, dataset: Dataset, drop_recipe: bool = False) -> str:
    settings = TrainSettings(loss="ce" if dataset.task == "classes" else "mse")
    path = tmp_path / "session.json"
    save_session(Session(dataset, ModelSpec(), settings), path)
    if drop_recipe:  # as a session saved before recipes were
        raw = json.loads(path.read_text(encoding="utf-8"))
        del raw["dataset"]["recipe"]
        path.write_text(json.dumps(raw), encoding="utf-8")
    return str(path)


def test_the_overfitting_lesson_shows_its_noise_and_seed_and_regenerate_makes_the_same_data(window, qtbot):
    choose_other_settings(window)
    window.play_lesson(overfitting_lesson())
    loaded = window._dataset
    assert fields(window) == (20, 0.4, 1)
    assert window.data_panel.preset_combo.currentData() == "moons"
    assert not window.data_panel.unknown_settings_label.isVisibleTo(window)
    again = regenerate(window, qtbot)
    assert bits(again) == bits(loaded) == bits(moons(20, 0.4, 1))


def test_the_shipped_lesson_example_shows_its_noise_and_seed(window, qtbot):
    choose_other_settings(window)
    file_name = f"lesson-{overfitting_lesson() + 1}.json"
    assert window.open_example(file_name)
    assert fields(window) == (20, 0.4, 1)
    assert bits(regenerate(window, qtbot)) == bits(moons(20, 0.4, 1))


def test_an_opened_session_shows_its_settings_and_regenerate_remakes_it(window, qtbot, tmp_path):
    choose_other_settings(window)
    assert window.open_session(saved_file(tmp_path, make_preset("spiral", 37, 0.35, 4242)))
    assert fields(window) == (37, 0.35, 4242)
    assert bits(regenerate(window, qtbot)) == bits(make_preset("spiral", 37, 0.35, 4242))


def test_a_session_of_several_classes_shows_its_classes_too(window, qtbot, tmp_path):
    arms = make_preset("arms", 45, 0.2, 9, classes=5)
    assert window.open_session(saved_file(tmp_path, arms))
    assert (*fields(window), window.data_panel.classes_spin.value()) == (45, 0.2, 9, 5)
    assert bits(regenerate(window, qtbot)) == bits(arms)


def test_a_session_from_before_recipes_loads_and_says_its_settings_are_unknown(window, qtbot, tmp_path):
    choose_other_settings(window)
    assert window.open_session(saved_file(tmp_path, moons(20, 0.4, 1), drop_recipe=True))
    assert bits(window._dataset) == bits(moons(20, 0.4, 1))
    panel = window.data_panel
    assert panel.samples_spin.value() == 20  # the count, at least, the data tells
    note = panel.unknown_settings_label
    assert note.isVisibleTo(window) and "saved without its noise and seed" in note.text()
    # what Regenerate makes is what the fields say; and then the note has nothing left to say
    assert bits(regenerate(window, qtbot)) == bits(moons(20, 0.1, 0))
    assert not note.isVisibleTo(window)


def test_a_recipe_the_fields_cannot_show_is_said_not_shown(window, tmp_path):
    # a session the command line made: noise with more decimals than the field keeps
    choose_other_settings(window)
    assert window.open_session(saved_file(tmp_path, moons(20, 0.125, 3)))
    note = window.data_panel.unknown_settings_label
    assert note.isVisibleTo(window) and "noise 0.125, seed 3" in note.text()
    assert window.data_panel.noise_spin.value() == 0.1


def test_editing_loaded_data_drops_its_recipe_and_the_note_with_it(window, qtbot, tmp_path):
    assert window.open_session(saved_file(tmp_path, moons(20, 0.4, 1)))
    window.data_panel.add_point(0.5, 0.5, 1.0)
    assert window._dataset.recipe is None and window.data_panel.preset_combo.currentData() == "custom"
    assert window.data_panel.dataset().recipe is None
    assert not window.data_panel.unknown_settings_label.isVisibleTo(window)
    assert window.save_session(tmp_path / "edited.json")
    assert "recipe" not in json.loads((tmp_path / "edited.json").read_text(encoding="utf-8"))["dataset"]


@pytest.mark.parametrize("edit", ["cell", "delete"])
def test_every_edit_of_the_rows_drops_the_recipe(window, tmp_path, edit):
    assert window.open_session(saved_file(tmp_path, moons(20, 0.4, 1)))
    panel = window.data_panel
    if edit == "cell":
        assert panel.edit_cell(0, 0, "0.25")
    else:
        panel.remove_point(0)
    assert window._dataset.recipe is None and len(window._dataset) == (20 if edit == "cell" else 19)


def test_an_imported_csv_of_a_presets_rows_has_no_recipe(window, tmp_path):
    from engine.data import write_csv

    write_csv(moons(20, 0.4, 1), tmp_path / "moons.csv")
    assert window.data_panel.import_csv(tmp_path / "moons.csv")
    assert window._dataset.recipe is None
    assert not window.data_panel.unknown_settings_label.isVisibleTo(window)


def test_a_no_to_reset_puts_the_loaded_fields_back(window, qtbot, tmp_path):
    # while a run exists, a change asks first; a No shows the kept data, and its recipe, again
    assert window.open_session(saved_file(tmp_path, moons(20, 0.4, 1)))
    window.train()
    qtbot.waitUntil(lambda: window.controller.has_run, timeout=5000)
    window.confirm = lambda title, question: False
    window.data_panel.seed_spin.setValue(5)
    assert window._dataset.recipe.seed == 1
    assert fields(window) == (20, 0.4, 1)

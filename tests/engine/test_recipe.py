"""A dataset's recipe (engine/data.py Recipe, engine/recipe.py): how a preset made it, kept where the
rows are kept, dropped where they change, saved in sessions and trusted only when it makes their rows."""

import json
import math

import pytest

from engine.data import Dataset, Recipe, make_preset, moons, read_csv, write_csv
from engine.features import expand_dataset
from engine.lessons import overfitting_run
from engine.problem_presets import ALL_PRESETS, CLASS_PRESETS
from engine.session import Session, SessionError, load_session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.split import split_dataset


def bits(dataset: Dataset) -> list[str]:
    return [float(v).hex() for row in dataset.inputs for v in row] + [float(t).hex() for t in dataset.targets]


def session_dict(dataset: Dataset) -> dict:
    """A session of `dataset` as its file holds it (through JSON, as a file would be)."""
    settings = TrainSettings(loss="ce" if dataset.task == "classes" else "mse")
    return json.loads(json.dumps(Session(dataset, ModelSpec(), settings).to_dict()))


def loaded(raw: dict) -> Dataset:
    return Session.from_dict(raw).dataset


@pytest.mark.parametrize("name", [name for name in ALL_PRESETS if name != "lecture"])
def test_every_preset_records_its_recipe_and_the_recipe_makes_the_same_rows(name):
    ds = make_preset(name, 24, 0.15, 7, classes=4)
    classes = 4 if name in CLASS_PRESETS else None
    assert ds.recipe == Recipe(name, 24, 0.15, 7, classes)
    again = ds.recipe.make()
    assert bits(again) == bits(ds) and again.recipe == ds.recipe and again.task == ds.task


def test_the_lecture_has_no_recipe_it_has_no_settings():
    assert make_preset("lecture", 50, 0.5, 9).recipe is None


def test_a_preset_function_called_directly_records_its_recipe_too():
    # the lessons call moons(...) themselves, not make_preset
    assert moons(20, 0.4, 1).recipe == Recipe("moons", 20, 0.4, 1)
    assert overfitting_run().dataset.recipe == Recipe("moons", 20, 0.4, 1)
    assert make_preset("moons", 20, 0, 1).recipe.noise == 0.0 and isinstance(
        moons(20, 0, 1).recipe.noise, float
    )


def test_copies_splits_and_engineered_inputs_keep_the_recipe():
    ds = make_preset("circles", 30, 0.1, 2)
    assert ds.copy().recipe == ds.recipe
    train, test = split_dataset(ds, 0.3, 0)
    assert train.recipe == test.recipe == ds.recipe
    assert expand_dataset(ds, ["x1^2"]).recipe == ds.recipe


def test_an_imported_csv_has_no_recipe_even_when_it_holds_a_presets_rows(tmp_path):
    write_csv(make_preset("moons", 20, 0.4, 1), tmp_path / "moons.csv")
    assert read_csv(tmp_path / "moons.csv").recipe is None


def test_a_session_keeps_the_recipe_through_its_file(tmp_path):
    ds = make_preset("arms", 40, 0.05, 2, classes=4)
    raw = session_dict(ds)
    assert raw["dataset"]["recipe"] == {
        "preset": "arms",
        "samples": 40,
        "noise": 0.05,
        "seed": 2,
        "classes": 4,
    }
    save_session(
        Session(ds, ModelSpec([4], ["tanh"], "linear"), TrainSettings(loss="ce")), tmp_path / "a.json"
    )
    back = load_session(tmp_path / "a.json").dataset
    assert back.recipe == ds.recipe and bits(back.recipe.make()) == bits(back)


def test_a_two_class_recipe_saves_no_classes():
    assert "classes" not in session_dict(moons(20, 0.4, 1))["dataset"]["recipe"]


def test_a_session_file_from_before_recipes_loads_as_before():
    raw = session_dict(moons(20, 0.4, 1))
    del raw["dataset"]["recipe"]
    ds = loaded(raw)
    assert ds.recipe is None and ds.name == "moons" and bits(ds) == bits(moons(20, 0.4, 1))


def test_a_null_recipe_is_no_recipe():
    raw = session_dict(moons(20, 0.4, 1))
    raw["dataset"]["recipe"] = None
    assert loaded(raw).recipe is None


def test_custom_data_saves_no_recipe():
    assert "recipe" not in session_dict(Dataset([[0.0, 1.0]], [1.0]))["dataset"]


@pytest.mark.parametrize(
    ("recipe", "field"),
    [
        ("moons", "'recipe'"),
        ([1, 2], "'recipe'"),
        ({"preset": "moons", "samples": 20, "noise": 0.4}, "'seed'"),
        ({"samples": 20, "noise": 0.4, "seed": 1}, "'preset'"),
        ({"preset": "nope", "samples": 20, "noise": 0.4, "seed": 1}, "'preset'"),
        ({"preset": ["moons"], "samples": 20, "noise": 0.4, "seed": 1}, "'preset'"),
        ({"preset": "moons", "samples": True, "noise": 0.4, "seed": 1}, "'samples'"),
        ({"preset": "moons", "samples": 20.0, "noise": 0.4, "seed": 1}, "'samples'"),
        ({"preset": "moons", "samples": 0, "noise": 0.4, "seed": 1}, "'samples'"),
        ({"preset": "moons", "samples": 10**400, "noise": 0.4, "seed": 1}, "'samples'"),
        ({"preset": "moons", "samples": 20, "noise": "0.4", "seed": 1}, "'noise'"),
        ({"preset": "moons", "samples": 20, "noise": math.nan, "seed": 1}, "'noise'"),
        ({"preset": "moons", "samples": 20, "noise": math.inf, "seed": 1}, "'noise'"),
        ({"preset": "moons", "samples": 20, "noise": -0.1, "seed": 1}, "'noise'"),
        ({"preset": "moons", "samples": 20, "noise": False, "seed": 1}, "'noise'"),
        ({"preset": "moons", "samples": 20, "noise": 0.4, "seed": -1}, "'seed'"),
        ({"preset": "moons", "samples": 20, "noise": 0.4, "seed": 1.5}, "'seed'"),
        ({"preset": "moons", "samples": 20, "noise": 0.4, "seed": 10**9}, "'seed'"),
        ({"preset": "arms", "samples": 20, "noise": 0.4, "seed": 1, "classes": 99}, "'classes'"),
        ({"preset": "arms", "samples": 20, "noise": 0.4, "seed": 1, "classes": "3"}, "'classes'"),
    ],
)
def test_a_hostile_recipe_is_refused_naming_its_field(recipe, field):
    raw = session_dict(moons(20, 0.4, 1))
    raw["dataset"]["recipe"] = recipe
    with pytest.raises(SessionError, match="its dataset") as caught:
        loaded(raw)
    assert field in str(caught.value)


def test_a_hostile_recipe_in_a_file_is_refused(tmp_path):
    raw = session_dict(moons(20, 0.4, 1))
    raw["dataset"]["recipe"]["noise"] = math.nan
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(SessionError, match="recipe's 'noise'"):
        load_session(path)


def _with_recipe(dataset: Dataset, **changes) -> dict:
    raw = session_dict(dataset)
    raw["dataset"]["recipe"].update(changes)
    return raw


@pytest.mark.parametrize(
    "changes",
    [
        {"seed": 2},
        {"noise": 0.41},
        {"samples": 21},
        {"samples": 100_000},  # not made at all: the count already differs
        {"preset": "circles"},
        {"preset": "lecture"},
        {"classes": 3},  # moons take no classes
    ],
)
def test_a_recipe_that_does_not_make_the_saved_rows_is_dropped(changes):
    ds = loaded(_with_recipe(moons(20, 0.4, 1), **changes))
    assert ds.recipe is None and bits(ds) == bits(moons(20, 0.4, 1))


def test_a_recipe_is_dropped_when_a_row_or_a_target_was_edited():
    raw = session_dict(moons(20, 0.4, 1))
    raw["dataset"]["inputs"][3][1] += 1e-12
    assert loaded(raw).recipe is None
    raw = session_dict(moons(20, 0.4, 1))
    raw["dataset"]["targets"][0] = -raw["dataset"]["targets"][0]
    assert loaded(raw).recipe is None


def test_a_recipe_is_dropped_when_a_zero_changed_sign():
    # noise 0 makes exact zeros (the moons' ends); -0.0 equals 0.0 but is not the same number
    raw = session_dict(moons(20, 0.0, 1))
    assert loaded(raw).recipe is not None
    row = next(row for row in raw["dataset"]["inputs"] if 0.0 in row)
    row[row.index(0.0)] = -0.0
    assert loaded(raw).recipe is None


def test_a_recipe_is_dropped_when_the_name_or_the_kind_of_data_differ():
    raw = session_dict(moons(20, 0.4, 1))
    raw["dataset"]["name"] = "custom"
    assert loaded(raw).recipe is None
    raw = session_dict(make_preset("sine", 20, 0.1, 0))
    raw["dataset"]["task"] = "binary"  # targets of a sine are no two classes: refused on its own
    with pytest.raises(SessionError):
        loaded(raw)


def test_a_recipe_that_cannot_make_anything_is_dropped_not_a_crash():
    # 3 samples cannot make 4 classes: the recipe is well-formed, it just makes no data
    raw = session_dict(make_preset("arms", 4, 0.1, 0, classes=4))
    raw["dataset"]["inputs"], raw["dataset"]["targets"] = raw["dataset"]["inputs"][:3], [0.0, 1.0, 2.0]
    raw["dataset"]["recipe"]["samples"] = 3
    assert loaded(raw).recipe is None


def test_rows_changed_under_a_kept_recipe_load_without_it(tmp_path):
    ds = moons(20, 0.4, 1)
    ds.inputs[0] = [5.0, 5.0]  # changed without dropping the recipe: the file must not claim it
    save_session(Session(ds, ModelSpec(), TrainSettings()), tmp_path / "s.json")
    assert load_session(tmp_path / "s.json").dataset.recipe is None

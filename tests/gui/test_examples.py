"""The example sessions: written from the lessons by a script, shipped in the package, opened from File ▸ Open example."""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import subprocess
import sys
import zipfile
from importlib.resources import files
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMenu

import gui.resources
from engine.lessons import LESSONS
from engine.session import Session, SessionError, load_session
from gui.resources import Example, examples

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "gui" / "resources" / "examples"


def make_examples_script():
    spec = importlib.util.spec_from_file_location("make_examples", ROOT / "scripts" / "make_examples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def same_json(a: object, b: object, where: str = "") -> str:
    """Where `a` and `b` differ ("" if nowhere); floats may differ in the last bits a platform's libm
    rounds differently (the presets use sin and cos), nothing else may."""
    if isinstance(a, float) and isinstance(b, float):
        return "" if math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) else f"{where}: {a!r} != {b!r}"
    if type(a) is not type(b):
        return f"{where}: {a!r} != {b!r}"
    if isinstance(a, dict):
        if a.keys() != b.keys():
            return f"{where}: keys {sorted(a)} != {sorted(b)}"
        return next((d for k in a if (d := same_json(a[k], b[k], f"{where}.{k}"))), "")
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} items != {len(b)}"
        return next((d for i, (x, y) in enumerate(zip(a, b)) if (d := same_json(x, y, f"{where}[{i}]"))), "")
    return "" if a == b else f"{where}: {a!r} != {b!r}"


# ---------------------------------------------------------------- the files


def test_the_shipped_examples_are_what_the_script_writes(tmp_path):
    make_examples_script().write_examples(tmp_path)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert sorted(p.name for p in SHIPPED.iterdir()) == written, "run scripts/make_examples.py"
    for name in written:
        difference = same_json(
            json.loads((SHIPPED / name).read_text()), json.loads((tmp_path / name).read_text())
        )
        assert difference == "", f"{name}{difference}: run scripts/make_examples.py"


def test_same_json_can_fail():
    assert same_json({"a": [1.0, 2]}, {"a": [1.0, 2]}) == ""
    assert same_json({"a": [1.0, 2]}, {"a": [1.0, 3]}) == ".a[1]: 2 != 3"
    assert same_json({"x": 0.1}, {"x": 0.1000001}) != ""
    assert same_json({"x": True}, {"x": 1}) != ""


def test_every_run_of_every_lesson_is_an_example_by_its_title():
    shown = examples()
    lesson_examples = [e for e in shown if e.group == "Lessons"]
    assert len(lesson_examples) == sum(len(lesson.runs) for lesson in LESSONS)
    for lesson in LESSONS:
        titles = [e.title for e in lesson_examples if e.title.startswith(lesson.title)]
        assert len(titles) == len(lesson.runs) == len(set(titles)), lesson.title
    zero_grad = [e.title for e in lesson_examples if e.title.startswith("Forgetting zero_grad: the same")]
    assert [t.rsplit("(", 1)[1] for t in zero_grad] == ["zero_grad on)", "zero_grad off)"]
    assert len([e for e in shown if e.group == "Worked examples"]) >= 3


def test_each_example_holds_its_lessons_run():
    lesson_examples = iter(e for e in examples() if e.group == "Lessons")
    for lesson in LESSONS:
        for make in lesson.runs:
            expected, loaded = make(), next(lesson_examples).load()
            assert loaded.training == expected.training and loaded.model == expected.model
            assert same_json(loaded.dataset.inputs, expected.dataset.inputs) == ""
            assert loaded.dataset.targets == expected.dataset.targets


def test_importlib_resources_finds_every_example_and_the_icon():
    folder = files("gui.resources") / "examples"
    for example in examples():
        assert (folder / example.file_name).is_file(), example.file_name
        assert isinstance(example.load(), Session)
    assert (files("gui.resources") / "icon.svg").read_bytes().startswith(b"<?xml")


def test_the_trained_example_comes_with_its_weights_and_loss_curve():
    trained = next(e for e in examples() if "trained" in e.title).load()
    assert trained.weights is not None and len(trained.history) == trained.training.steps
    assert trained.history[-1].loss < trained.history[0].loss / 10


def test_a_damaged_example_file_is_a_session_error(tmp_path, monkeypatch):
    (tmp_path / "broken.json").write_text('{"format": "micrograd-studio/session", "version": 1')
    monkeypatch.setattr(gui.resources, "examples_folder", lambda: tmp_path)
    with pytest.raises(SessionError):
        Example("broken.json", "Broken", "", "Lessons").load()


def test_a_wheel_built_from_the_repo_ships_the_examples_and_the_icon(tmp_path):
    pytest.importorskip("setuptools", minversion="77")  # what pyproject.toml builds with
    source = tmp_path / "source"  # a copy: building leaves build/ and *.egg-info behind
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in ("engine", "gui"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    command = [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation"]
    built = subprocess.run([*command, "-q", "-w", str(tmp_path / "wheel")], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"gui/resources/examples/{p.name}" for p in SHIPPED.iterdir()}
    assert shipped and shipped <= names
    assert "gui/resources/icon.svg" in names


# ---------------------------------------------------------------- the window


def test_each_example_opens_in_the_window_without_error(window):
    for example in examples():
        assert window.open_example(example.file_name), (example.title, window.last_error)
        assert window.last_error == ""
        session = example.load()
        shown = window.current_session()
        assert shown.training == session.training and shown.model == session.model
        assert shown.dataset.inputs == session.dataset.inputs
        assert example.title in window.statusBar().currentMessage()


def test_the_trained_example_opens_with_its_curve_and_trains_on_from_its_weights(window):
    example = next(e for e in examples() if "trained" in e.title)
    assert window.open_example(example.file_name)
    session = example.load()
    assert window._start_weights == session.weights  # Train goes on from the trained weights
    run = window.loss_plot.runs[-1]
    assert run.label == example.title
    assert run.losses == [r.loss for r in session.history]


def open_example_menu(window) -> QMenu:
    file_menu = window.menuBar().actions()[0].menu()
    item = next(a for a in file_menu.actions() if a.text() == "Open &example")
    return item.menu()


def test_file_open_example_lists_the_examples_by_title_in_sections(window):
    actions = open_example_menu(window).actions()
    sections = [a.text() for a in actions if a.isSeparator()]
    assert sections == ["Lessons", "Worked examples"]
    titles = [a.text() for a in actions if not a.isSeparator()]
    assert titles == [e.title for e in examples()]
    descriptions = [a.toolTip() for a in actions if not a.isSeparator()]
    assert descriptions == [e.description for e in examples()]


def test_choosing_an_example_in_the_menu_opens_it(window):
    example = next(e for e in examples() if e.file_name.startswith("xor"))
    action = next(a for a in open_example_menu(window).actions() if a.text() == example.title)
    action.trigger()
    assert window.current_session().model == example.load().model
    assert window.last_error == ""


def test_opening_an_example_over_a_run_asks_first_and_no_keeps_the_run(window):
    window.training_panel.learning_rate_spin.setValue(0.2)
    window.step()
    assert window.controller.has_run
    asked = []
    window.confirm = lambda title, question: asked.append(question) or False
    assert not window.open_example("lesson-1.json")
    assert asked and "ends the current training run" in asked[0]
    assert window.current_session().training.learning_rate == 0.2


def test_an_example_that_cannot_be_read_says_so_and_changes_nothing(window, monkeypatch):
    before = window.current_session()

    def damaged(self):
        raise SessionError("the session file is not valid JSON (line 1, column 2)")

    monkeypatch.setattr(Example, "load", damaged)
    example = examples()[0]
    assert not window.open_example(example.file_name)
    assert window.last_error.startswith(f"Could not open the example “{example.title}”: ")
    assert "not valid JSON" in window.last_error
    assert window.current_session().training == before.training


def test_an_unknown_example_name_says_so(window):
    assert not window.open_example("no-such-example.json")
    assert "no-such-example.json" in window.last_error


def test_without_a_catalog_the_menu_says_there_are_no_examples(qtbot, monkeypatch):
    import gui.window.file_actions
    from gui.window.main_window import MainWindow

    def missing():
        raise FileNotFoundError("index.json")

    monkeypatch.setattr(gui.window.file_actions, "shipped_examples", missing)
    window = MainWindow()
    qtbot.addWidget(window)
    try:
        (only,) = open_example_menu(window).actions()
        assert not only.isEnabled() and "No examples" in only.text()
    finally:
        window.controller.shutdown()


def test_load_session_reads_each_shipped_file_directly():
    for path in SHIPPED.glob("*.json"):
        if path.name != "index.json":
            assert isinstance(load_session(path), Session)

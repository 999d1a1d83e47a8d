"""Write the example sessions that File ▸ Open example lists, into gui/resources/examples/.

    .venv/bin/python scripts/make_examples.py

Every run of every lesson in engine/lessons.py becomes a session file (set up, not
trained: Train plays it), then a few worked examples: the lecture's network already
trained (made here), and the datasets, networks and settings of worked_examples.toml.
`index.json` lists them in menu order with their titles and descriptions.

Run it after changing a lesson: tests/gui/test_examples.py checks that the shipped
files are what this script writes, so they never drift from the lessons.
"""

from __future__ import annotations

import copy
import json
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.data import Dataset, make_preset
from engine.lessons import LESSONS, lecture_run
from engine.session import Session, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.train import Trainer
from engine.weights import ModelWeights

EXAMPLES = ROOT / "gui" / "resources" / "examples"
CATALOG = "index.json"
LESSONS_GROUP = "Lessons"
WORKED_GROUP = "Worked examples"


@dataclass(frozen=True)
class ExampleFile:
    file_name: str
    title: str
    description: str
    group: str
    make: Callable[[], Session]


def set_up(dataset: Dataset, model: ModelSpec, **settings: object) -> Callable[[], Session]:
    """Makes a session set up to train, not trained: Train plays it."""
    return lambda: Session(dataset.copy(), copy.deepcopy(model), TrainSettings(**settings))


def lecture_trained() -> Session:
    """The lecture's network after 100 steps: its weights and its loss curve, ready to inspect."""
    session = lecture_run(steps=100)
    trainer = Trainer(session.model.build(session.dataset.n_inputs), session.dataset.copy(), session.training)
    session.history = trainer.run()
    session.weights = ModelWeights.from_model(trainer.model)
    return session


WORKED_FILE = Path(__file__).with_name("worked_examples.toml")  # the other worked examples, as data


def worked_examples() -> list[ExampleFile]:
    """The trained lecture network, then each example of WORKED_FILE, set up to train."""
    lecture = ExampleFile(
        "lecture-trained.json",
        "The lecture's network after 100 steps (trained)",
        "MLP(3, [4, 4, 1]) trained 100 steps on the lecture's four samples: the loss curve is there, and "
        "the trained weights. Open the Computation graph to read every number of the trained network, or "
        "press Train to go on from here.",
        WORKED_GROUP,
        lecture_trained,
    )
    with WORKED_FILE.open("rb") as file:
        entries = tomllib.load(file)["example"]
    return [lecture, *(_worked(entry) for entry in entries)]


def _worked(entry: dict) -> ExampleFile:
    data = entry["data"]
    dataset = make_preset(data["preset"], data["samples"], data["noise"], data["seed"])
    model = ModelSpec.from_dict(entry["model"])
    make = set_up(dataset, model, **entry["training"])
    return ExampleFile(entry["file"], entry["title"], entry["description"], WORKED_GROUP, make)


def lesson_examples() -> list[ExampleFile]:
    """One file per run of each lesson; a lesson of several runs names what differs in each."""
    found = []
    for number, lesson in enumerate(LESSONS, start=1):
        settings = [make().training.to_dict() for make in lesson.runs]
        for index, make in enumerate(lesson.runs):
            suffix = f" ({_what_differs(settings, index)})" if len(lesson.runs) > 1 else ""
            name = f"lesson-{number}" + (f"-run-{index + 1}" if len(lesson.runs) > 1 else "") + ".json"
            found.append(ExampleFile(name, lesson.title + suffix, lesson.text, LESSONS_GROUP, make))
    return found


def _what_differs(settings: list[dict], index: int) -> str:
    """The settings in which run `index` differs from the other runs of its lesson: "zero_grad off"."""
    keys = [key for key in settings[index] if len({repr(s[key]) for s in settings}) > 1]
    return ", ".join(_setting_text(key, settings[index][key]) for key in keys) or f"run {index + 1}"


def _setting_text(key: str, value: object) -> str:
    name = key if key == "zero_grad" else key.replace("_", " ")
    if isinstance(value, bool):
        return f"{name} {'on' if value else 'off'}"
    return f"{name} {value!r}" if isinstance(value, float) else f"{name} {value}"


def all_examples() -> list[ExampleFile]:
    return [*lesson_examples(), *worked_examples()]


def write_examples(folder: Path) -> list[Path]:
    """Write every example session and the catalog into `folder`; stale .json files go."""
    folder.mkdir(parents=True, exist_ok=True)
    examples = all_examples()
    keep = {example.file_name for example in examples} | {CATALOG}
    for old in folder.glob("*.json"):
        if old.name not in keep:
            old.unlink()
    written = []
    for example in examples:
        save_session(example.make(), folder / example.file_name)
        written.append(folder / example.file_name)
    catalog = [
        {"file": e.file_name, "title": e.title, "description": e.description, "group": e.group}
        for e in examples
    ]
    (folder / CATALOG).write_text(json.dumps(catalog, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return [*written, folder / CATALOG]


def main() -> None:
    for path in write_examples(EXAMPLES):
        print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

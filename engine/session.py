"""Session files: data, model, training settings, weights and loss history in one JSON file.

A teacher saves the demo once and reopens it in class. The file is versioned;
a newer or unknown version, a truncated or hostile file, or parts that do not
fit together get a `SessionError` with a plain message, never a crash.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields

from engine.data import DataError, Dataset
from engine.files import atomic_write_text, read_text_limited
from engine.spec import ModelSpec, SpecError
from engine.train import StepResult, TrainSettings
from engine.weights import ModelWeights, WeightsError

FORMAT = "micrograd-studio/session"
VERSION = 1
MAX_FILE_BYTES = 50 * 1024 * 1024


class SessionError(ValueError):
    """A session file that cannot be opened, with a message saying why."""


@dataclass
class Session:
    dataset: Dataset
    model: ModelSpec
    training: TrainSettings
    weights: ModelWeights | None = None  # None: not trained yet
    history: list[StepResult] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "dataset": {
                "name": self.dataset.name,
                "inputs": self.dataset.inputs,
                "targets": self.dataset.targets,
            },
            "model": self.model.to_dict(),
            "training": self.training.to_dict(),
            "weights": None if self.weights is None else self.weights.to_dict(),
            "history": [asdict(r) for r in self.history],
        }

    @classmethod
    def from_dict(cls, d: object) -> Session:
        if not isinstance(d, dict):
            raise SessionError("not a session file: expected a JSON object at the top level")
        if d.get("format") != FORMAT:
            raise SessionError(f"not a micrograd-studio session file (format is {d.get('format')!r})")
        version = d.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise SessionError("the session file has no valid version number")
        if version > VERSION:
            raise SessionError(
                f"made by a newer micrograd-studio (session version {version}); this one reads version {VERSION}"
            )
        if version < 1:
            raise SessionError(f"unknown session version {version}")
        try:
            raw = d["dataset"]
            dataset = Dataset(list(raw["inputs"]), list(raw["targets"]), str(raw.get("name", "custom")))
            dataset.validate()
            model = ModelSpec.from_dict(d["model"])
            training = _settings_from_dict(d["training"])
            weights = None if d.get("weights") is None else ModelWeights.from_dict(d["weights"])
            history = [_step_from_dict(r) for r in d.get("history", [])]
        except KeyError as exc:
            raise SessionError(f"the session file is missing {exc.args[0]!r}") from None
        except (DataError, SpecError, WeightsError) as exc:
            raise SessionError(str(exc)) from None
        except (TypeError, ValueError) as exc:
            raise SessionError(f"the session file is malformed: {exc}") from None
        if weights is not None:
            expected = model.build(dataset.n_inputs)
            problem = weights.matches(expected)
            if problem:
                raise SessionError(f"the saved weights do not fit the saved model: {problem}")
        return cls(dataset, model, training, weights, history)


def _settings_from_dict(raw: object) -> TrainSettings:
    if not isinstance(raw, dict):
        raise SessionError("'training' must be an object")
    known = {f.name for f in fields(TrainSettings)}
    settings = TrainSettings(**{k: v for k, v in raw.items() if k in known})
    settings.validate()
    return settings


def _step_from_dict(raw: object) -> StepResult:
    if not isinstance(raw, dict):
        raise SessionError("each history entry must be an object")
    result = StepResult(
        step=int(raw["step"]),
        loss=float(raw["loss"]),
        accuracy=None if raw.get("accuracy") is None else float(raw["accuracy"]),
        learning_rate=float(raw["learning_rate"]),
        grad_norm=float(raw.get("grad_norm", math.nan)),
    )
    return result


def save_session(session: Session, path: str | os.PathLike) -> None:
    """Write the session as JSON, atomically."""
    atomic_write_text(path, json.dumps(session.to_dict(), allow_nan=True) + "\n")


def load_session(path: str | os.PathLike) -> Session:
    try:
        text = read_text_limited(path, MAX_FILE_BYTES, "session file")
    except ValueError as exc:
        raise SessionError(str(exc)) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SessionError(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except RecursionError:
        raise SessionError("the file is nested too deeply to be a session") from None
    return Session.from_dict(raw)

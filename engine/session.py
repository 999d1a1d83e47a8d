"""Session files: data, model, training settings, weights and loss history in one JSON file.

A teacher saves the demo once and reopens it in class. The file is versioned;
a newer or unknown version, a truncated or hostile file, or parts that do not
fit together get a `SessionError` with a plain message, never a crash.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field, fields, replace

from engine.data import MAX_SAMPLES, MAX_VALUES, DataError, Dataset
from engine.files import FileProblem, JsonLimits, atomic_write_bytes, describe_value, read_json_limited
from engine.recipe import recipe_from_dict, recipe_to_dict, trusted_recipe
from engine.run_state import RunState, RunStateError
from engine.settings import STEPS_RANGE, SettingsError, TrainSettings
from engine.spec import MAX_HIDDEN_LAYERS, ModelSpec, SpecError
from engine.split import SplitError, TestSplit
from engine.tasks import TASKS, TaskError, check_loss_fits, detect_task
from engine.train import StepResult
from engine.weights import MAX_JSON_CONTAINERS as WEIGHTS_JSON_CONTAINERS
from engine.weights import MAX_PARAMETERS, ModelWeights, WeightsError

FORMAT = "micrograd-studio/session"
VERSION = 1
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_NAME_CHARS = 200
MAX_HISTORY = STEPS_RANGE[1]  # a run has at most as many steps as the steps field allows
# The most values a session can hold: its data, its history (an entry: ~10 fields and a number
# per layer), weights with an optimizer's state (Adam's m and v: two per weight), room for the
# rest. A file with more is refused before it is parsed (engine/files.py).
MAX_JSON_VALUES = MAX_VALUES + MAX_HISTORY * (10 + MAX_HIDDEN_LAYERS + 1) + 3 * MAX_PARAMETERS + 100_000
# and lists and objects: a list per sample, an object and a list per history entry, a weights file's
MAX_JSON_CONTAINERS = MAX_SAMPLES + 2 * MAX_HISTORY + WEIGHTS_JSON_CONTAINERS


class SessionError(ValueError):
    """A session file that cannot be opened, with a message saying why."""


@dataclass
class Session:
    dataset: Dataset
    model: ModelSpec
    training: TrainSettings
    weights: ModelWeights | None = None  # None: not trained yet
    history: list[StepResult] = field(default_factory=list)
    split: TestSplit = field(default_factory=TestSplit)  # the held-out test set (fraction 0: none)
    # the optimizer's and minibatches' state after the history's last step, the step of `weights`:
    # training goes on from it as if the run had never stopped (None: a fresh run from the weights)
    run_state: RunState | None = None

    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "version": VERSION,
            "dataset": {
                "name": self.dataset.name,
                "inputs": self.dataset.inputs,
                "targets": self.dataset.targets,
                # two classes is what a file without a task is read as: such files stay as they were
                **({} if self.dataset.task == "binary" else {"task": self.dataset.task}),
                # how a preset made it (engine/recipe.py): files without it are of unknown making
                **({} if self.dataset.recipe is None else {"recipe": recipe_to_dict(self.dataset.recipe)}),
            },
            "model": self.model.to_dict(),
            "training": self.training.to_dict(),
            "test_split": self.split.to_dict(),  # a data setting: which samples are held out
            "weights": None if self.weights is None else self.weights.to_dict(),
            "history": [_step_to_dict(r) for r in self.history],
            # files without it (older ones, or never trained) stay as they were
            **({} if self.run_state is None else {"run_state": self.run_state.to_dict()}),
        }

    @classmethod
    def from_dict(cls, d: object) -> Session:
        """A fully checked Session: showing it, or training from it, cannot fail on its values."""
        _check_header(d)
        for key in ("dataset", "model", "training"):
            if key not in d:
                raise SessionError(f"the session file is missing {key!r}")
        try:
            dataset = _dataset_from_dict(d["dataset"])
            split = TestSplit.from_dict(d.get("test_split", {}))  # files from before test sets have none
            model = ModelSpec.from_dict(d["model"])
            training = _settings_from_dict(d["training"])
            weights = None if d.get("weights") is None else ModelWeights.from_dict(d["weights"])
        except (DataError, SplitError, SpecError, SettingsError, WeightsError) as exc:
            part = next(part for kind, part in _PART_OF_ERROR.items() if isinstance(exc, kind))
            raise SessionError(f"{part}: {exc}") from None
        history = _history_from_list(d.get("history", []))
        try:
            check_loss_fits(dataset.task, training.loss)
        except TaskError as exc:
            raise SessionError(f"its training settings: {exc}") from None
        if problem := model_data_problem(model, dataset):
            raise SessionError(f"its model does not fit its data: {problem}")
        problem = weights is not None and model.weights_problem(weights, dataset.n_inputs, dataset.n_outputs)
        if problem:
            raise SessionError(f"the saved weights do not fit the saved model: {problem}")
        run_state = _run_state_from(d.get("run_state"), weights, history)
        return cls(dataset, model, training, weights, history, split, run_state)


def model_data_problem(model: ModelSpec, dataset: Dataset) -> str:
    """Why the model's input layer cannot take this data (engineered inputs need 2-D data), or ""."""
    try:
        model.network_data(replace(dataset, inputs=dataset.inputs[:1], targets=dataset.targets[:1]))
    except SpecError as exc:
        return str(exc)
    return ""


def _step_to_dict(result: StepResult) -> dict:
    """A history entry; R^2 only for regression (entries of classes stay as they were)."""
    entry = asdict(result)
    if entry.get("r2") is None:
        entry.pop("r2", None)
    return entry


_PART_OF_ERROR = {
    DataError: "its dataset",
    SplitError: "its test split",
    SpecError: "its model",
    SettingsError: "its training settings",
    WeightsError: "its weights",
}


def _check_header(d: object) -> None:
    """A JSON object in this app's session format, of a version this app reads."""
    if not isinstance(d, dict):
        raise SessionError(f"not a session file: it holds {describe_value(d)}, not a JSON object")
    if d.get("format") != FORMAT:
        raise SessionError(
            f"not a micrograd-studio session file (its format is {describe_value(d.get('format'))})"
        )
    version = d.get("version")
    if not _is_int(version):
        raise SessionError(f"the session file has no valid version number (it is {describe_value(version)})")
    if version > VERSION:
        raise SessionError(
            f"made by a newer micrograd-studio (session version {version}); this one reads version {VERSION}"
        )
    if version < 1:
        raise SessionError(f"unknown session version {version}")


def _is_int(value: object) -> bool:
    # JSON's true and false are ints to Python; in a count or a seed they are mistakes
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _dataset_from_dict(raw: object) -> Dataset:
    if not isinstance(raw, dict):
        raise SessionError(f"'dataset' must be an object, not {describe_value(raw)}")
    for key in ("inputs", "targets"):
        if not isinstance(raw.get(key), list):
            raise SessionError(f"the dataset's {key!r} must be a list, not {describe_value(raw.get(key))}")
    name = raw.get("name", "custom")
    if not isinstance(name, str) or len(name) > MAX_NAME_CHARS:
        raise SessionError(f"the dataset's name must be text of at most {MAX_NAME_CHARS} characters")
    inputs = raw["inputs"]
    if any(not isinstance(row, list) for row in inputs):
        raise SessionError("each of the dataset's inputs must be a list of numbers")
    # A file from before the task was saved: its targets say what it is (engine/tasks.py)
    task = raw["task"] if "task" in raw else _detected_task(raw["targets"])
    if not isinstance(task, str) or task not in TASKS:
        raise SessionError(
            f"the dataset's 'task' must be one of {', '.join(TASKS)}, not {describe_value(task)}"
        )
    dataset = Dataset([list(row) for row in inputs], list(raw["targets"]), name, task)
    dataset.validate()
    # whole numbers in the file become the floats the engine and the views expect
    dataset.inputs = [[float(v) for v in row] for row in dataset.inputs]
    dataset.targets = [float(v) for v in dataset.targets]
    if raw.get("recipe") is not None:
        # checked even when it is not kept: a malformed recipe is a broken file, said so
        dataset.recipe = trusted_recipe(dataset, recipe_from_dict(raw["recipe"]))
    return dataset


def _detected_task(targets: list) -> str:
    # numbers only: a non-number is reported by validate(), naming its sample
    return detect_task(targets) if all(_is_number(y) for y in targets) else "binary"


def _settings_from_dict(raw: object) -> TrainSettings:
    if not isinstance(raw, dict):
        raise SessionError(f"'training' must be an object, not {describe_value(raw)}")
    known = {f.name for f in fields(TrainSettings)}
    settings = TrainSettings(**{k: v for k, v in raw.items() if k in known})
    settings.validate()
    return settings


def _history_from_list(raw: object) -> list[StepResult]:
    if not isinstance(raw, list):
        raise SessionError(f"'history' must be a list, not {describe_value(raw)}")
    if len(raw) > MAX_HISTORY:
        raise SessionError(
            f"the history has {len(raw):,} steps, more than the {MAX_HISTORY:,} a run can have"
        )
    history = [_step_from_dict(r, i) for i, r in enumerate(raw, 1)]
    for i, (before, after) in enumerate(zip(history, history[1:]), 2):
        if after.step <= before.step:
            raise SessionError(f"history entry {i}: its step ({after.step}) must come after {before.step}")
    return history


def _step_from_dict(raw: object, index: int) -> StepResult:
    where = f"history entry {index}"
    if not isinstance(raw, dict):
        raise SessionError(f"{where} must be an object, not {describe_value(raw)}")
    for key in ("step", "loss", "learning_rate"):
        if key not in raw:
            raise SessionError(f"{where} is missing {key!r}")
    step = raw["step"]
    if not _is_int(step) or not 1 <= step <= MAX_HISTORY:
        raise SessionError(
            f"{where}: 'step' must be a whole number from 1 to {MAX_HISTORY:,}, not {describe_value(step)}"
        )
    accuracy = raw.get("accuracy")
    if accuracy is not None and not (_is_number(accuracy) and 0 <= accuracy <= 1):
        raise SessionError(
            f"{where}: 'accuracy' must be null or a number from 0 to 1, not {describe_value(accuracy)}"
        )
    grad_norm = raw.get("grad_norm", math.nan)
    if not _is_number(grad_norm) or grad_norm < 0:  # NaN (not recorded) is allowed
        raise SessionError(
            f"{where}: 'grad_norm' must be a number of 0 or more, not {describe_value(grad_norm)}"
        )
    for key in ("loss", "learning_rate"):
        value = raw[key]
        if not _is_number(value) or not math.isfinite(value) or value < 0:
            raise SessionError(
                f"{where}: {key!r} must be a finite number of 0 or more, not {describe_value(value)}"
            )
    return StepResult(
        step=step,
        loss=float(raw["loss"]),
        accuracy=None if accuracy is None else float(accuracy),
        learning_rate=float(raw["learning_rate"]),
        grad_norm=float(grad_norm),
        layer_grads=_layer_grads(raw.get("layer_grads", []), where),
        r2=_r2(raw.get("r2"), where),
        test_loss=_optional_number(raw, "test_loss", where, math.inf),
        test_accuracy=_optional_number(raw, "test_accuracy", where, 1.0),
    )


def _optional_number(raw: dict, key: str, where: str, high: float) -> float | None:
    """A history entry's optional test figure: null (no test set), or a number from 0 to `high`."""
    value = raw.get(key)
    if value is None:
        return None
    if not _is_number(value) or not math.isfinite(value) or not 0 <= value <= high:
        raise SessionError(
            f"{where}: {key!r} must be null or a finite number from 0 to {high:g}, not {describe_value(value)}"
        )
    return float(value)


def _r2(raw: object, where: str) -> float | None:
    """A history entry's R^2 (regression only): at most 1, and any amount below 0 (worse than the mean)."""
    if raw is None:
        return None
    if not _is_number(raw) or not -math.inf < raw <= 1:  # NaN fails too
        raise SessionError(f"{where}: 'r2' must be null or a number of at most 1, not {describe_value(raw)}")
    return float(raw)


MAX_LAYERS_RECORDED = 64  # far more than the Model panel allows: a longer list is not from this app


def _layer_grads(raw: object, where: str) -> tuple[float, ...]:
    """The optional per-layer mean |grad| of a history entry (older files have none)."""
    if not isinstance(raw, list) or len(raw) > MAX_LAYERS_RECORDED:
        raise SessionError(
            f"{where}: 'layer_grads' must be a list of at most {MAX_LAYERS_RECORDED} numbers, "
            f"not {describe_value(raw)}"
        )
    for value in raw:
        if not _is_number(value) or not value >= 0:  # NaN fails too
            raise SessionError(
                f"{where}: 'layer_grads' holds {describe_value(value)}, not a number of 0 or more"
            )
    return tuple(float(v) for v in raw)


def _run_state_from(raw: object, weights: ModelWeights | None, history: list[StepResult]) -> RunState | None:
    """The optional run state, checked against the weights it goes with and the history it follows."""
    if raw is None:
        return None
    if weights is None:
        raise SessionError("its run state: the file has no weights for it to go with")
    n_parameters = sum(len(row) + 1 for layer in weights.layers for row in layer.weight)
    try:
        state = RunState.from_dict(raw, n_parameters)
    except RunStateError as exc:
        raise SessionError(f"its run state: {exc}") from None
    last = history[-1].step if history else 0
    if state.step != len(history) or last != len(history):
        raise SessionError(
            f"its run state: it is for step {state.step}, but the history holds {len(history)} steps "
            f"ending at step {last}"
        )
    return state


def check_savable(session: Session) -> None:
    """Raise SessionError if `load_session` would refuse a file of this session."""
    try:
        Session.from_dict(json.loads(json.dumps(session.to_dict(), allow_nan=True)))
    except SessionError as exc:
        raise SessionError(f"this session could not be opened again, so it is not saved: {exc}") from None
    except (TypeError, ValueError, RecursionError):
        raise SessionError(
            "this session holds values a session file cannot store, so it is not saved"
        ) from None


def save_session(session: Session, path: str | os.PathLike) -> None:
    """Write the session as JSON, atomically; a session `load_session` would refuse is not written."""
    check_savable(session)
    data = (json.dumps(session.to_dict(), allow_nan=True) + "\n").encode("utf-8")
    if len(data) > MAX_FILE_BYTES:
        raise SessionError(f"this session would make a file of more than {MAX_FILE_BYTES:,} bytes: not saved")
    atomic_write_bytes(path, data)


def load_session(path: str | os.PathLike) -> Session:
    """Read and check a session file; every problem, reading included, is a SessionError."""
    try:
        # the limits as they are now (tests lower them)
        limits = JsonLimits(MAX_FILE_BYTES, MAX_JSON_VALUES, MAX_JSON_CONTAINERS)
        raw = read_json_limited(path, limits, "session file", allow_nan=True)
    except FileProblem as exc:
        raise SessionError(str(exc)) from None
    return Session.from_dict(raw)

"""What a stopped run needs, beyond its weights and its loss history, to go on exactly as before.

Momentum keeps a buffer b per parameter, Adam its running means m and v and its step
count t (engine/optim.py), and minibatches are drawn by a seeded random generator.
A session saved mid-run keeps all of it, taken at the same step as the weights it is
saved with, so that "save, quit, open, train" gives the very numbers of a run that never
stopped: no bump in the loss curve where Adam's bias correction would start again.

In a session file it is one object:

    "run_state": {"step": 40, "optimizer": "adam", "t": 40, "m": [...], "v": [...],
                  "batch_sampler": [625 whole numbers]}

with "buffers" for momentum and nothing more for SGD. Every field is checked; a
problem is a `RunStateError` naming the field.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from engine.files import describe_value
from engine.optim import HYPERPARAMETERS, OPTIMIZERS, Optimizer, make_optimizer
from engine.settings import STEPS_RANGE

# Python's Mersenne Twister: 624 words of 32 bits and the position of the next one
SAMPLER_WORDS = 624
SAMPLER_VERSION = 3  # random.getstate()'s format
STATE_LISTS = {"sgd": (), "momentum": ("buffers",), "adam": ("m", "v")}  # one number per parameter
NOT_NEGATIVE = {"v"}  # Adam's v is a mean of squares


class RunStateError(ValueError):
    """A run state that cannot be continued from, with a message naming the field."""


@dataclass(frozen=True)
class RunState:
    """A run's state after `step` steps: its optimizer's and its minibatch sampler's."""

    step: int  # steps taken; the weights saved with it are the ones after this step
    optimizer: str  # a key of OPTIMIZERS: the one the run last stepped with
    optimizer_state: dict  # Optimizer.state(): {} for SGD, buffers for momentum, t, m and v for Adam
    batch_sampler: tuple[int, ...]  # random.getstate()'s words and position

    @classmethod
    def of_run(cls, step: int, optimizer: Optimizer, sampler: random.Random) -> RunState:
        _, words, _ = sampler.getstate()  # the run draws samples only: no cached Gaussian
        return cls(step, optimizer.name, optimizer.state(), tuple(words))

    def to_dict(self) -> dict:
        return {
            "step": self.step,
            "optimizer": self.optimizer,
            **self.optimizer_state,
            "batch_sampler": list(self.batch_sampler),
        }

    def make_optimizer(self, settings) -> Optimizer:
        """The optimizer as it was, with the settings' hyper-parameters (as a running run takes them)."""
        hyperparameters = {name: getattr(settings, name) for name in HYPERPARAMETERS[self.optimizer]}
        optimizer = make_optimizer(self.optimizer, hyperparameters)
        optimizer.restore(self.optimizer_state)
        return optimizer

    def restore_sampler(self, sampler: random.Random) -> None:
        sampler.setstate((SAMPLER_VERSION, tuple(self.batch_sampler), None))

    def problem(self, n_parameters: int, steps_taken: int) -> str:
        """Why this state cannot go with a network of `n_parameters` after `steps_taken` steps, or ""."""
        if self.step != steps_taken:
            return f"the optimizer's state is for step {self.step}, but the run has taken {steps_taken} steps"
        for key in STATE_LISTS[self.optimizer]:
            if len(self.optimizer_state[key]) not in (0, n_parameters):
                return (
                    f"the optimizer's {key!r} has {len(self.optimizer_state[key])} numbers "
                    f"but the network has {n_parameters} parameters"
                )
        return ""

    @classmethod
    def from_dict(cls, raw: object, n_parameters: int) -> RunState:
        """A checked RunState for a network of `n_parameters` parameters; RunStateError names the bad field."""
        if not isinstance(raw, dict):
            raise RunStateError(f"it must be an object, not {describe_value(raw)}")
        step = raw.get("step")
        if not _is_int(step) or not 1 <= step <= STEPS_RANGE[1]:
            raise RunStateError(
                f"'step' must be a whole number from 1 to {STEPS_RANGE[1]:,}, not {describe_value(step)}"
            )
        name = raw.get("optimizer")
        if not isinstance(name, str) or name not in OPTIMIZERS:
            raise RunStateError(
                f"'optimizer' must be one of {', '.join(OPTIMIZERS)}, not {describe_value(name)}"
            )
        state: dict = {key: _numbers(raw, key, n_parameters) for key in STATE_LISTS[name]}
        if name == "adam":
            t = raw.get("t")
            if not _is_int(t) or not 0 <= t <= step:
                raise RunStateError(
                    f"'t' must be a whole number from 0 to 'step' ({step}), not {describe_value(t)}"
                )
            state["t"] = t
        return cls(step, name, state, _sampler(raw.get("batch_sampler")))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _numbers(raw: dict, key: str, n_parameters: int) -> list[float]:
    """One finite number per parameter (or none: the optimizer has not stepped yet)."""
    values = raw.get(key)
    if not isinstance(values, list) or len(values) not in (0, n_parameters):
        size = f"a list of {len(values):,} numbers" if isinstance(values, list) else describe_value(values)
        raise RunStateError(
            f"{key!r} must be a list of {n_parameters} numbers, one per parameter, not {size}"
        )
    low = 0.0 if key in NOT_NEGATIVE else -math.inf
    for i, value in enumerate(values, 1):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value < math.inf:
            what = "a finite number of 0 or more" if key in NOT_NEGATIVE else "a finite number"
            raise RunStateError(f"{key!r} number {i} must be {what}, not {describe_value(value)}")
    return [float(v) for v in values]


def _sampler(words: object) -> tuple[int, ...]:
    """random.getstate()'s 624 words of 32 bits and its position (0 to 624)."""
    if not isinstance(words, list) or len(words) != SAMPLER_WORDS + 1:
        raise RunStateError(
            f"'batch_sampler' must be a list of {SAMPLER_WORDS + 1} whole numbers, not {describe_value(words)}"
        )
    *key, position = words
    if not all(_is_int(w) and 0 <= w < 2**32 for w in key):
        raise RunStateError(f"'batch_sampler' must hold whole numbers from 0 to {2**32 - 1} and its position")
    if not _is_int(position) or not 0 <= position <= SAMPLER_WORDS:
        raise RunStateError(
            f"'batch_sampler' must end with a position from 0 to {SAMPLER_WORDS}, not {describe_value(position)}"
        )
    return tuple(words)

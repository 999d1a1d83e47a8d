"""The Optimizer tab's numbers in use: the step's hyper-parameters, and the update formula with them plugged in.

A learner reading "update = −lr·m' / (√v' + ε)" wants to see which lr, β1, β2, ε and t
made the numbers in the table. They are taken when the step's snapshot arrives: the
learning rate is the snapshot's own (after any decay); μ, β1, β2 and ε are the settings
the run trains with (a change applies from the next step); Adam's t is its count of steps
from the run's state, so a run switched to Adam midway counts from the switch.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.optim import StateSnapshot
from engine.run_state import RunState
from engine.settings import TrainSettings


@dataclass(frozen=True)
class NumbersInUse:
    """What one step of the optimizer was computed with."""

    optimizer: str
    learning_rate: float  # this step's, after any decay
    start_rate: float  # the learning rate set: decay starts from it
    decay: bool
    steps: int
    momentum: float
    beta1: float
    beta2: float
    eps: float
    t: int  # Adam's steps, this one included (1 at its first)


def numbers_in_use(snapshot: StateSnapshot, settings: TrainSettings, state: RunState | None) -> NumbersInUse:
    """The numbers of `snapshot`'s step: `settings` and `state` are the window's when it arrives."""
    t = snapshot.step
    if state is not None and state.optimizer == "adam" and isinstance(state.optimizer_state.get("t"), int):
        # the state may be a step ahead of or behind the snapshot: each step counts one
        t = state.optimizer_state["t"] - (state.step - snapshot.step)
    return NumbersInUse(
        snapshot.optimizer,
        snapshot.learning_rate,
        settings.learning_rate,
        settings.decay,
        settings.steps,
        settings.momentum,
        settings.beta1,
        settings.beta2,
        settings.eps,
        max(1, t),
    )


def _n(value: float) -> str:
    """A number as a learner reads it: 4 significant digits, no float noise (1 − 0.999 is 0.001)."""
    return f"{value:.4g}"


def values_text(numbers: NumbersInUse) -> str:
    """The hyper-parameters of this step, named as in the formula, e.g. "lr = 0.05 · μ = 0.9"."""
    rate = f"lr = {_n(numbers.learning_rate)}"
    if numbers.decay:
        low = numbers.start_rate * 0.1
        rate += f" (decaying linearly from {_n(numbers.start_rate)} to {_n(low)} over {numbers.steps} steps)"
    parts = [rate]
    if numbers.optimizer == "momentum":
        parts.append(f"μ = {_n(numbers.momentum)}")
    elif numbers.optimizer == "adam":
        parts += [
            f"β1 = {_n(numbers.beta1)}",
            f"β2 = {_n(numbers.beta2)}",
            f"ε = {numbers.eps:g}",
            f"t = {numbers.t}",
        ]
    return "In use at this step:  " + "   ·   ".join(parts)


# Each optimizer's update, a line per term: (left side, with symbols) — the numbers go in by `formula_rows`
TERMS = {
    "sgd": (("update =", "−lr·grad"),),
    "momentum": (("b ←", "μ·b + grad"), ("update =", "−lr·b")),
    "adam": (
        ("m ←", "β1·m + (1 − β1)·grad"),
        ("v ←", "β2·v + (1 − β2)·grad²"),
        ("m' =", "m / (1 − β1^t)"),
        ("v' =", "v / (1 − β2^t)"),
        ("update =", "−lr·m' / (√v' + ε)"),
    ),
}


def formula_rows(optimizer: str, numbers: NumbersInUse | None) -> list[tuple[str, str, str]]:
    """The update, a row per term: (what it sets, the formula, the formula with this step's numbers;
    "" without numbers)."""
    if numbers is None:
        return [(left, right, "") for left, right in TERMS.get(optimizer, ())]
    lr, mu, b1, b2, t = (
        _n(numbers.learning_rate),
        _n(numbers.momentum),
        numbers.beta1,
        numbers.beta2,
        numbers.t,
    )
    plugged = {
        "sgd": (f"−{lr}·grad",),
        "momentum": (f"{mu}·b + grad", f"−{lr}·b"),
        "adam": (
            f"{_n(b1)}·m + {_n(1 - b1)}·grad",
            f"{_n(b2)}·v + {_n(1 - b2)}·grad²",
            f"m / (1 − {_n(b1)}^{t}) = m / {_n(1 - b1**t)}",
            f"v / (1 − {_n(b2)}^{t}) = v / {_n(1 - b2**t)}",
            f"−{lr}·m' / (√v' + {numbers.eps:g})",
        ),
    }.get(optimizer, ())
    return [(left, right, number) for (left, right), number in zip(TERMS.get(optimizer, ()), plugged)]

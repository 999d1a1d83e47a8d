"""Training settings: the learning rate, steps, loss and optimizer a run may use, checked.

What the Training panel's fields can show is what a file may hold: a value outside the
ranges here is refused with a message naming the setting, never changed to fit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from engine.files import describe_value
from engine.losses import ALL_LOSSES
from engine.optim import OPTIMIZERS

# What the Training panel's fields can show; a value outside them is refused (a file's
# included), so that what the window shows is what training uses.
LEARNING_RATE_RANGE = (1e-5, 100.0)
STEPS_RANGE = (1, 100_000)
BATCH_SIZE_RANGE = (0, 100_000)  # 0: the whole dataset every step
L2_RANGE = (0.0, 1.0)
TRAIN_SEED_RANGE = (0, 2**31 - 1)  # for drawing mini-batches
MOMENTUM_RANGE = (0.0, 0.999)  # μ of 1 or more never forgets a gradient: the steps grow without end
BETA_RANGE = (0.0, 0.9999)  # Adam's β1 and β2: 1 would divide by 1 − βᵗ = 0
# Adam's ε: 0 would divide 0 by 0 for a parameter whose grad was always 0 (a dead ReLU's);
# past 1 it swamps √v̂ and Adam is SGD with momentum scaled down.
EPS_RANGE = (1e-12, 1.0)


class SettingsError(ValueError):
    """Training settings that cannot be used, with a message naming the setting and what is allowed."""


@dataclass
class TrainSettings:
    learning_rate: float = 0.05
    decay: bool = False  # linear decay to 10% over `steps`, as micrograd's demo does
    steps: int = 100
    batch_size: int = 0  # 0: the whole dataset every step
    loss: str = "sse"
    l2: float = 0.0
    zero_grad: bool = True
    seed: int = 0  # for drawing mini-batches
    compiled: bool = False  # replay the traced step as NumPy array operations (engine/compiled/)
    optimizer: str = "sgd"  # a key of engine.optim.OPTIMIZERS
    momentum: float = 0.9  # μ of SGD with momentum
    beta1: float = 0.9  # Adam's β1 (torch.optim.Adam's default)
    beta2: float = 0.999  # Adam's β2
    eps: float = 1e-8  # Adam's ε, added to √v̂ (torch.optim.Adam's default; older files have none)

    def validate(self) -> None:
        """Raise SettingsError, naming the setting and its allowed values, if one is unusable."""
        _check_number("learning rate", self.learning_rate, LEARNING_RATE_RANGE)
        _check_whole("number of steps", self.steps, STEPS_RANGE)
        _check_whole("batch size", self.batch_size, BATCH_SIZE_RANGE, " (0 means the whole dataset)")
        _check_number("L2 strength", self.l2, L2_RANGE)
        _check_whole("mini-batch seed", self.seed, TRAIN_SEED_RANGE)
        if not isinstance(self.loss, str) or self.loss not in ALL_LOSSES:
            raise SettingsError(
                f"unknown loss {describe_value(self.loss)}; choose one of {', '.join(ALL_LOSSES)}"
            )
        for name, flag in (("decay", self.decay), ("zero_grad", self.zero_grad), ("compiled", self.compiled)):
            if not isinstance(flag, bool):
                raise SettingsError(f"'{name}' must be true or false, not {describe_value(flag)}")
        self._validate_optimizer()

    def _validate_optimizer(self) -> None:
        if not isinstance(self.optimizer, str) or self.optimizer not in OPTIMIZERS:
            raise SettingsError(
                f"unknown optimizer {describe_value(self.optimizer)}; choose one of {', '.join(OPTIMIZERS)}"
            )
        _check_number("momentum", self.momentum, MOMENTUM_RANGE)
        _check_number("Adam beta1", self.beta1, BETA_RANGE)
        _check_number("Adam beta2", self.beta2, BETA_RANGE)
        _check_number("Adam epsilon", self.eps, EPS_RANGE)

    def learning_rate_at(self, step_index: int) -> float:
        """The learning rate of step `step_index` (0-based), after any decay."""
        if not self.decay:
            return self.learning_rate
        return self.learning_rate * (1.0 - 0.9 * min(step_index, self.steps) / self.steps)

    def to_dict(self) -> dict:
        return asdict(self)


def _check_number(name: str, value: object, allowed: tuple[float, float]) -> None:
    low, high = allowed
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not is_number or not low <= value <= high:  # NaN fails the comparison too
        raise SettingsError(
            f"the {name} must be a number from {low:g} to {high:g}, not {describe_value(value)}"
        )


def _check_whole(name: str, value: object, allowed: tuple[int, int], note: str = "") -> None:
    low, high = allowed
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise SettingsError(
            f"the {name} must be a whole number from {low:,} to {high:,}{note}, not {describe_value(value)}"
        )

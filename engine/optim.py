"""Optimizers: how one step turns the gradients into changes of the weights.

Each optimizer is a short class whose `plan` is the update written as the formulas
read, for one parameter at a time (g its grad, lr the learning rate):

    SGD        p ← p − lr·g
    momentum   b ← μ·b + g                 p ← p − lr·b            (b starts at 0)
    Adam       m ← β1·m + (1 − β1)·g       v ← β2·v + (1 − β2)·g²
               m̂ = m / (1 − β1ᵗ)           v̂ = v / (1 − β2ᵗ)
               p ← p − lr·m̂ / (√v̂ + ε)                            (t counts the steps, from 1)

These are PyTorch's conventions (torch.optim.SGD with momentum, dampening 0 and no
Nesterov; torch.optim.Adam without weight decay or amsgrad, ε 1e-8 unless set), so that a float64 run matches theirs
step for step. The learning rate comes with every step because the app may decay it.

A step is planned before it is applied: `plan` works out the updates and the state
after them without changing anything, the trainer checks that the new weights are
sane, and only then `accept`s the plan and writes the weights. A refused step leaves
the optimizer as it was. The state is plain lists of floats (picklable, JSON-able):
`state()` copies it out and `restore()` puts it back, so a saved run goes on as it was
(engine/run_state.py).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.value import Value

OPTIMIZERS = {
    "sgd": "SGD: p ← p − lr·g",
    "momentum": "SGD with momentum: b ← μ·b + g, p ← p − lr·b",
    "adam": "Adam: running means of g and g², bias-corrected",
}
ADAM_EPS = 1e-8  # torch.optim.Adam's default ε: keeps the division finite where v̂ is 0
# The optimizer-state table of a network with more parameters shows its first ones only:
# a snapshot copies six numbers per parameter, ten times a second.
STATE_TABLE_MAX_PARAMETERS = 5_000


@dataclass(frozen=True)
class Plan:
    """A step worked out but not applied: what each parameter is about to gain, and the state after it."""

    updates: list[float]  # p ← p + update
    state: dict = field(default_factory=dict)  # the optimizer's state once the step is taken


class Optimizer:
    """The interface: `plan` a step, `accept` it; `step` does both on a list of Values."""

    name = ""
    state_keys: tuple[str, ...] = ()  # the attributes that change with every step

    def state(self) -> dict:
        """A copy of the state, as plain data: numbers and lists of floats."""
        return {key: _copied(getattr(self, key)) for key in self.state_keys}

    def restore(self, state: dict) -> None:
        """Take a state that `state()` gave (checked by engine/run_state.py when read from a file)."""
        for key in self.state_keys:
            setattr(self, key, _copied(state[key]))

    def plan(self, grads: Sequence[float], learning_rate: float) -> Plan:
        raise NotImplementedError

    def accept(self, plan: Plan) -> None:
        """Keep the state of a planned step (the trainer applies its updates)."""
        for key, value in plan.state.items():
            setattr(self, key, value)

    def step(self, params: Sequence[Value], learning_rate: float) -> None:
        """One update of `params` from their grads, as torch.optim's `step()` does."""
        plan = self.plan([p.grad for p in params], learning_rate)
        self.accept(plan)
        for p, update in zip(params, plan.updates):
            p.data += update

    def columns(self, n: int) -> dict[str, list[float]]:
        """The per-parameter state for a table, by column name ("momentum", "second moment")."""
        return {}

    def settings_changed(self, hyperparameters: dict) -> None:
        """New hyper-parameters from now on (the state so far is kept)."""
        for key, value in hyperparameters.items():
            setattr(self, key, value)


class SGD(Optimizer):
    """p ← p − lr·g: the lecture's update; it has no state."""

    name = "sgd"

    def plan(self, grads: Sequence[float], learning_rate: float) -> Plan:
        return Plan([-learning_rate * g for g in grads])


class Momentum(Optimizer):
    """b ← μ·b + g, p ← p − lr·b: the buffer b is a running sum of past grads, each older one weighing μ less."""

    name = "momentum"
    state_keys = ("buffers",)

    def __init__(self, momentum: float = 0.9):
        self.momentum = momentum
        self.buffers: list[float] = []  # torch's momentum_buffer; empty before the first step (zeros)

    def plan(self, grads: Sequence[float], learning_rate: float) -> Plan:
        mu = self.momentum
        old = self.buffers or [0.0] * len(grads)
        buffers = [mu * b + g for b, g in zip(old, grads)]
        return Plan([-learning_rate * b for b in buffers], {"buffers": buffers})

    def columns(self, n: int) -> dict[str, list[float]]:
        return {"momentum": self.buffers[:n]}


class Adam(Optimizer):
    """Running means of the grad (m) and of its square (v), bias-corrected; steps of about lr each."""

    name = "adam"
    state_keys = ("t", "m", "v")

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = ADAM_EPS):
        self.beta1, self.beta2 = beta1, beta2
        self.eps = eps  # added to √v̂: keeps the division finite, and damps steps where v̂ is tiny
        self.t = 0  # steps taken
        self.m: list[float] = []  # first moment: the mean of recent grads
        self.v: list[float] = []  # second moment: the mean of recent squared grads

    def plan(self, grads: Sequence[float], learning_rate: float) -> Plan:
        b1, b2, eps, t = self.beta1, self.beta2, self.eps, self.t + 1
        zeros = [0.0] * len(grads)
        m = [b1 * mi + (1 - b1) * g for mi, g in zip(self.m or zeros, grads)]
        v = [b2 * vi + (1 - b2) * g * g for vi, g in zip(self.v or zeros, grads)]
        m_correction, v_correction = 1 - b1**t, 1 - b2**t  # m and v start at 0: early means are too small
        updates = [
            -learning_rate * (mi / m_correction) / (math.sqrt(vi / v_correction) + eps)
            for mi, vi in zip(m, v)
        ]
        return Plan(updates, {"t": t, "m": m, "v": v})

    def columns(self, n: int) -> dict[str, list[float]]:
        return {"momentum": self.m[:n], "second moment": self.v[:n]}


def _copied(value: object) -> object:
    return [float(v) for v in value] if isinstance(value, list) else value


def make_optimizer(name: str, hyperparameters: dict) -> Optimizer:
    """A fresh optimizer called `name` (a key of OPTIMIZERS) with the hyper-parameters it takes."""
    if name == "momentum":
        return Momentum(hyperparameters["momentum"])
    if name == "adam":
        return Adam(hyperparameters["beta1"], hyperparameters["beta2"], hyperparameters.get("eps", ADAM_EPS))
    if name == "sgd":
        return SGD()
    raise ValueError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")


HYPERPARAMETERS = {"sgd": (), "momentum": ("momentum",), "adam": ("beta1", "beta2", "eps")}


@dataclass(frozen=True)
class StateSnapshot:
    """One step's optimizer state for the table: taken after backward(), before the update.

    `data + update` is each parameter after the step. The columns hold the first
    `len(names)` parameters (at most STATE_TABLE_MAX_PARAMETERS) of `total`.

    A `saved` snapshot is a saved run's, opened again: the state after step `step`, `data`
    the weights after it; the step's grad and update were not saved (None)."""

    step: int  # the step this is the middle of (1-based)
    optimizer: str  # a key of OPTIMIZERS
    learning_rate: float
    names: list[str]
    total: int  # parameters in the network
    data: list[float]
    grad: list[float] | None
    update: list[float] | None
    momentum: list[float] | None = None  # None for an optimizer without that state
    second_moment: list[float] | None = None
    saved: bool = False

"""Backprop by hand: the learner fills in every grad, in an order the chain rule allows.

An exercise is a graph whose grads are hidden. The output's grad comes first (it is 1);
after that, any node whose users (the nodes it feeds) all have their grads. Each answer is
checked against the engine's own backward() (relative tolerance 1e-4); a wrong one gets a
hint about the operation it feeds ("for `*`, the local derivative is the other factor"),
a second wrong one the numbers (local × upstream). A node used twice must be answered
with the sum of both contributions: one contribution alone gets a hint naming the bug.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from engine.expression import evaluate
from engine.ops import ACTIVATION, NEURON_OPS, OPS, local_derivatives
from engine.value import Value, topological_order

TOLERANCE = 1e-4

# (title, variables, expression): the lecture's exercises, in its order
LECTURE_EXERCISES = (
    ("L = (a·b + c)·f", {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0}, "(a*b + c)*f"),
    (
        "The lecture's neuron: tanh(x1·w1 + x2·w2 + b)",
        {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432},
        "(x1*w1 + x2*w2 + b).tanh()",
    ),
    (
        "The same neuron, tanh as exps",
        {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432},
        "((2*(x1*w1 + x2*w2 + b)).exp() - 1) / ((2*(x1*w1 + x2*w2 + b)).exp() + 1)",
    ),
    ("A variable used twice: b = a + a", {"a": 3.0}, "a + a"),
    ("A square: x·x", {"x": -4.0}, "x*x"),
)

# What to remember about each operation, without the numbers (the first hint)
_FIRST_HINTS = {
    "+": "for +, the local derivative is 1: a sum passes its grad on unchanged",
    "*": "for *, the local derivative is the other factor",
    "**": "for **n, the local derivative is n·aⁿ⁻¹",
    "exp": "for exp, the local derivative is exp(a) itself: the node's own data",
    "log": "for log, the local derivative is 1/a",
    "tanh": "for tanh, the local derivative is 1 − tanh², from the node's own data",
    "relu": "for relu, the local derivative is 1 where the output is above 0, else 0",
    "sigmoid": "for sigmoid, the local derivative is σ·(1 − σ), from the node's own data",
}


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    message: str


@dataclass
class Exercise:
    """One graph to backpropagate by hand; `answered` holds the grads accepted so far."""

    title: str
    root: Value
    nodes: list[Value] = field(init=False)  # every node, operands before results
    truth: dict[Value, float] = field(init=False)  # the grad backward() gives each node
    answered: dict[Value, float] = field(init=False, default_factory=dict)
    revealed: set[Value] = field(init=False, default_factory=set)
    tries: dict[Value, int] = field(init=False, default_factory=dict)  # wrong answers so far, per node
    score: int = field(init=False, default=0)  # nodes right at the first try

    def __post_init__(self) -> None:
        self.nodes = topological_order(self.root)
        for node in self.nodes:
            node.grad = 0.0
        self.root.backward()
        self.truth = {node: node.grad for node in self.nodes}
        self._users: dict[Value, list[tuple[Value, float]]] = {node: [] for node in self.nodes}
        for user in self.nodes:
            for operand, local in zip(user.operands, local_derivatives(user)):
                self._users[operand].append((user, local))

    @classmethod
    def from_expression(cls, title: str, expression: str, variables: dict[str, float]) -> Exercise:
        root, _ = evaluate(expression, variables)
        return cls(title, root)

    @property
    def done(self) -> bool:
        return len(self.answered) == len(self.nodes)

    def progress(self) -> tuple[int, int]:
        return len(self.answered), len(self.nodes)

    def ready(self, node: Value) -> bool:
        """Whether the chain rule allows this node's grad now: every node it feeds has its grad."""
        return node not in self.answered and all(user in self.answered for user, _ in self._users[node])

    def answer(self, node: Value, value: float) -> Verdict:
        """Check the learner's grad for `node`; accepted answers are kept, wrong ones counted."""
        if node in self.answered:
            return Verdict(True, "Already answered.")
        if not self.ready(node):
            waiting = [_name(user) for user, _ in self._users[node] if user not in self.answered]
            return Verdict(False, f"Not yet: first the grad of {', '.join(waiting)}, the nodes it feeds.")
        right = self.truth[node]
        if _close(value, right):
            self.answered[node] = right
            if not self.tries.get(node):
                self.score += 1
            return Verdict(True, "Right." if node is not self.root else "Right: ∂out/∂out = 1.")
        self.tries[node] = self.tries.get(node, 0) + 1
        return Verdict(False, self._hint(node, value))

    def reveal(self, node: Value) -> float:
        """Give the answer (it counts as answered, not as scored)."""
        self.answered[node] = self.truth[node]
        self.revealed.add(node)
        return self.truth[node]

    def _hint(self, node: Value, value: float) -> str:
        users = self._users[node]
        if node is self.root:
            return "The output's grad is ∂out/∂out: how much the output changes when it changes itself."
        contributions = [local * self.answered[user] for user, local in users]
        if len(contributions) > 1 and any(_close(value, c) for c in contributions):
            return (
                f"That is one of its {len(contributions)} contributions. {_name(node)} is used "
                f"{len(contributions)} times, and its grad is the sum of them all — the lecture's `a + a` "
                "bug, which is why backward() adds (+=) instead of setting."
            )
        if self.tries[node] == 1:
            ops = sorted({_op_hint(user) for user, _ in users})
            return "Not quite: " + "; ".join(ops) + ". Multiply it by the grad of the node it feeds."
        terms = [f"{local:.6g} × {self.answered[user]:.6g}" for user, local in users]
        total = math.fsum(contributions)
        shown = " + ".join(terms)
        return f"Local × upstream: {shown} = {total:.6g}."


def _op_hint(user: Value) -> str:
    if user.op in NEURON_OPS:
        return f"for a neuron node, {ACTIVATION[user.op.split(':')[1]].rule}, times the weight or input"
    return _FIRST_HINTS.get(user.op, OPS[user.op].rule if user.op in OPS else user.op)


def _close(value: float, right: float) -> bool:
    return math.isclose(value, right, rel_tol=TOLERANCE, abs_tol=1e-9)


def _name(node: Value) -> str:
    return node.label or f"the {node.op or 'leaf'} node"


def lecture_exercise(index: int) -> Exercise:
    title, variables, expression = LECTURE_EXERCISES[index]
    return Exercise.from_expression(title, expression, variables)

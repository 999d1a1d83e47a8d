"""Compiled mode's program: a traced training step as array operations over two flat buffers.

`CompiledStep.run` copies in the parameters, inputs and targets, runs the array
operations level by level, then backward in reverse level order. Its summary says
how many scalar operations became how many array operations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain

import numpy as np

from engine.compiled.array_ops import ArrayOp, Operand
from engine.value import Value

Array = np.ndarray

# ---------------------------------------------------------------- the summary


@dataclass(frozen=True)
class GroupSummary:
    """One array operation and the scalar operations it replaces."""

    level: int
    operation: str  # the scalar op, e.g. "neuron:relu" or "+ (chains)"
    scalar_ops: int
    array_op: str  # what runs instead, e.g. "matrix product (100×16) @ (16×16)"


@dataclass(frozen=True)
class CompileSummary:
    """How many scalar operations became how many array operations, level by level."""

    scalar_ops: int  # interior nodes of the traced graph
    scalar_levels: int  # its depth: the longest chain of operations
    folded: int  # nodes folded into constants (they depend on no parameter or data)
    groups: tuple[GroupSummary, ...]
    seconds: float  # time to trace, compile and check

    @property
    def array_ops(self) -> int:
        return len(self.groups)

    @property
    def levels(self) -> int:
        return max((g.level for g in self.groups), default=0)

    def describe(self) -> str:
        lines = [
            f"{self.scalar_ops:,} scalar operations in {self.scalar_levels:,} levels became "
            f"{self.array_ops} array operations in {self.levels} levels "
            f"(compiled in {self.seconds * 1e3:.0f} ms).",
            f"{'level':>5}  {'operation':<14} {'scalar ops':>10}  array operation",
        ]
        for g in self.groups:
            lines.append(f"{g.level:>5}  {g.operation:<14} {g.scalar_ops:>10,}  {g.array_op}")
        if self.folded:
            lines.append(f"{self.folded:,} operations on constants only were computed once, at compile time.")
        lines.append("Backward runs each array operation's rule once, in reverse level order.")
        return "\n".join(lines)


# ---------------------------------------------------------------- the program


class CompiledStep:
    """A traced training step as array operations over two flat buffers (values and grads).

    The buffers are laid out as: parameters, inputs (row by row), targets, constants,
    then one contiguous block per array operation.
    """

    def __init__(self, n_params: int, batch_size: int, n_inputs: int, n_slots: int):
        self.n_params, self.batch_size, self.n_inputs = n_params, batch_size, n_inputs
        self.values = np.zeros(n_slots)
        self.grads = np.zeros(n_slots)
        self._inputs = slice(n_params, n_params + batch_size * n_inputs)
        self._targets = slice(self._inputs.stop, self._inputs.stop + batch_size)
        self.forward_ops: list[ArrayOp] = []  # in level order
        self.backward_ops: list[ArrayOp] = []  # in reverse level order, those that lead to a parameter
        self.loss_slot = 0
        self.scores: Operand | None = None
        self.summary: CompileSummary | None = None

    def run(
        self,
        params: Array,
        grads: Array,
        inputs: Sequence[Sequence[float]] | Array,
        targets: Sequence[float] | Array,
    ) -> tuple[float, Array]:
        """Loss and scores for `inputs` and `targets`; adds d loss / d params to `grads` in place.

        `params` and `grads` are in the model's parameters() order. Like backward(),
        this adds to `grads`: zero them first unless they should accumulate.
        """
        if params.shape != (self.n_params,) or grads.shape != (self.n_params,):
            raise ValueError(
                f"expected {self.n_params} parameters and grads, got {params.shape}, {grads.shape}"
            )
        if isinstance(inputs, np.ndarray):
            shape = inputs.shape
        else:  # rows of numbers, as the Trainer has them: fromiter reads them twice as fast as asarray
            shape = (len(inputs), *set(map(len, inputs)))
            inputs = np.fromiter(chain.from_iterable(inputs), np.float64)
        if shape != (self.batch_size, self.n_inputs) or len(targets) != self.batch_size:
            raise ValueError(
                f"compiled for {self.batch_size} samples of {self.n_inputs} inputs, "
                f"got {shape} inputs and {len(targets)} targets"
            )
        values, g = self.values, self.grads
        values[: self.n_params] = params
        values[self._inputs] = inputs.reshape(-1)
        values[self._targets] = targets
        with np.errstate(all="ignore"):  # an overflow shows as inf or nan in the result
            for op in self.forward_ops:
                op.forward()
            g.fill(0.0)
            g[self.loss_slot] = 1.0
            for op in self.backward_ops:
                op.backward()
            grads += g[: self.n_params]
        return float(values[self.loss_slot]), np.array(self.scores.read(), dtype=np.float64).reshape(-1)

    def train_step(
        self,
        params: Sequence[Value],
        inputs: Sequence[Sequence[float]],
        targets: Sequence[float],
        learning_rate: float,
        zero_grad: bool,
    ) -> tuple[float, list[float], float] | None:
        """One step of gradient descent on the parameters' own Values: (loss, scores, grad norm).

        Reads their data (and, without zero_grad, their accumulated grads) every step, so
        whatever else changed them is seen; writes data and grads back, so views and
        exports see the same numbers. Returns None, changing nothing, if a number left
        the range of floats: the plain engine then retakes the step and says what happened.
        """
        data, grads = read_parameters(params, zero_grad)
        outcome = self.descend(data, grads, inputs, targets, learning_rate)
        if outcome is None:
            return None
        write_parameters(params, data, grads)
        loss, scores, grad_norm = outcome
        return loss, scores.tolist(), grad_norm

    def targets(self) -> Array:
        """The targets of the last run, as an array (a view of its buffer)."""
        return self.values[self._targets]

    def descend(
        self,
        data: Array,
        grads: Array,
        inputs: Sequence[Sequence[float]],
        targets: Sequence[float],
        learning_rate: float,
    ) -> tuple[float, Array, float] | None:
        """`run`, then the update ``data -= learning_rate * grads`` in place: (loss, scores, grad norm).

        None, with `data` unchanged, if the loss or the gradient is not finite.
        """
        loss, scores = self.run(data, grads, inputs, targets)
        with np.errstate(all="ignore"):
            grad_norm = math.sqrt(float(grads @ grads))
            if not (math.isfinite(loss) and math.isfinite(grad_norm)):
                return None
            data -= learning_rate * grads  # the plain update, p.data -= learning_rate * p.grad
        return loss, scores, grad_norm


# ---------------------------------------------------------------- between Values and arrays, in bulk
# The app's step runs these once per step over every parameter: each is one pass in C
# (a list comprehension or zip), not a NumPy call per parameter.


def read_parameters(params: Sequence[Value], zero_grad: bool) -> tuple[Array, Array]:
    """The parameters' data, and their grads (zeros with zero_grad), as two arrays."""
    data = np.array([p.data for p in params])
    grads = np.zeros(len(params)) if zero_grad else np.array([p.grad for p in params])
    return data, grads


def write_parameters(params: Sequence[Value], data: Array | None, grads: Array) -> None:
    """Put the step's grads (and, unless `data` is None, its updated data) back on the Values."""
    if data is None:
        for p, grad in zip(params, grads.tolist()):
            p.grad = grad
        return
    for p, value, grad in zip(params, data.tolist(), grads.tolist()):
        p.data = value
        p.grad = grad


def largest_magnitude(data: Array) -> float:
    """max |x| over `data`: nan if one is nan (max passes nan on), 0 for none."""
    return float(np.abs(data).max()) if data.size else 0.0


def mean_magnitudes(grads: Array, sizes: Sequence[int]) -> tuple[float, ...]:
    """Mean |grad| over each block of `sizes` consecutive grads (a layer's): one reduceat, no loop."""
    if not sizes:
        return ()
    starts, counts = _blocks(tuple(sizes))
    return tuple((np.add.reduceat(np.abs(grads), starts) / counts).tolist())


@lru_cache(maxsize=16)
def _blocks(sizes: tuple[int, ...]) -> tuple[Array, Array]:
    """Where each block starts, and its size as a float (for the mean)."""
    return np.cumsum((0, *sizes[:-1])), np.array(sizes, dtype=np.float64)


def hit_rate(scores: Array, targets: Array, threshold: float) -> float:
    """The fraction of scores on their target's side of `threshold`, as engine.losses.accuracy counts it."""
    if not len(scores):
        return 0.0
    hits = np.count_nonzero((scores > threshold) == (targets > threshold))
    return int(hits) / len(scores)

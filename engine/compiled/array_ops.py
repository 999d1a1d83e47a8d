"""Compiled mode's array operations: each replaces a group of scalar nodes of one level.

Each writes its group's outputs into `out`, a contiguous block of the program's values
buffer, and in backward reads their grads from the same block of the grads buffer
(`gout`). Their forwards are the op table's NumPy forms (engine/ops.py); their backward
passes run the plain engine's own backward rules and slopes (engine/value.py) on arrays:
the same formulas, element by element.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.lib.stride_tricks import as_strided

from engine.ops import ACTIVATION, OPS

Array = np.ndarray

# ---------------------------------------------------------------- operands: views or gathers


def strided_view(buffer: Array, index: Array) -> Array | None:
    """buffer[index] as a view (no copy) when the indices step regularly along every axis."""
    if index.size == 0:
        return None
    start = int(index.flat[0])
    steps = []
    for axis, length in enumerate(index.shape):
        if length == 1:
            steps.append(0)
            continue
        second = [0] * index.ndim
        second[axis] = 1
        steps.append(int(index[tuple(second)]) - start)
    if min(steps) < 0:
        return None
    expected = start + np.tensordot(np.array(steps), np.indices(index.shape), axes=1)
    if not np.array_equal(expected, index):
        return None
    return as_strided(buffer[start:], index.shape, [s * buffer.itemsize for s in steps])


class Operand:
    """One operand of a group: the buffer values at `index` (any shape), and where its grads go.

    Read as a view when the indices are regular, as the float itself when they are all
    one constant, gathered otherwise. Gradients are added through a view or a fancy
    index when no slot repeats, with np.add.at (which adds repeats one by one) when one does.
    """

    def __init__(
        self, index: Array, values: Array, grads: Array, constants: range, wants_grad: bool, scalar_ok: bool
    ):
        self.index = index
        self.values, self.grads = values, grads
        self.scalar: float | None = None
        if scalar_ok and index.size and constants.start <= index.min() and index.max() < constants.stop:
            distinct = np.unique(values[index])
            if len(distinct) == 1:
                self.scalar = float(distinct[0])
        self.view = strided_view(values, index)
        self.wants_grad = wants_grad
        self.unique = len(np.unique(index)) == index.size
        self.grad_view = strided_view(grads, index) if wants_grad and self.unique else None

    def read(self) -> Array | float:
        if self.scalar is not None:
            return self.scalar
        return self.view if self.view is not None else self.values[self.index]

    def add_grad(self, contribution: Array) -> None:
        if self.grad_view is not None:
            self.grad_view += contribution
        elif self.unique:
            self.grads[self.index] += contribution
        else:
            np.add.at(self.grads, self.index, np.broadcast_to(contribution, self.index.shape))


# ---------------------------------------------------------------- array operations


def chain(local: Array | float, g: Array) -> Array:
    """The chain rule, local · g; a local derivative of exactly 1 passes g on as it is (1.0 * g is g)."""
    return g if local.__class__ is float and local == 1.0 else local * g


class ArrayOp(Protocol):
    def forward(self) -> None: ...

    def backward(self) -> None: ...


class Unary:
    """tanh, exp, log, relu or sigmoid of every node of a group."""

    def __init__(self, op: str, a: Operand, out: Array, gout: Array):
        self.fn, self.rule = OPS[op].on_arrays(), OPS[op].rule_on(1, out)
        self.a, self.out, self.gout = a, out, gout

    def forward(self) -> None:
        self.a_value = self.a.read()
        self.out[...] = self.fn(self.a_value)

    def backward(self) -> None:
        if self.a.wants_grad:
            local, _ = self.rule.locals(self.a_value)
            if local is not None:  # None: the rule passes nothing back (x**0, a constant)
                self.a.add_grad(chain(local, self.gout))


class Power(Unary):
    """a ** n for every node of a group, all with the same exponent n."""

    def __init__(self, exponent: float, a: Operand, out: Array, gout: Array):
        self.fn, self.rule = OPS["**"].on_arrays(), OPS["**"].rule_on(1, out, exponent)
        self.exponent, self.a, self.out, self.gout = exponent, a, out, gout

    def forward(self) -> None:
        self.a_value = self.a.read()
        self.out[...] = self.fn(self.a_value, self.exponent)


class Binary:
    """a + b or a * b for every node of a group."""

    def __init__(self, op: str, a: Operand, b: Operand, out: Array, gout: Array):
        self.fn, self.rule = OPS[op].on_arrays(), OPS[op].rule_on(2, out)
        self.a, self.b, self.out, self.gout = a, b, out, gout

    def forward(self) -> None:
        self.a_value, self.b_value = self.a.read(), self.b.read()
        self.fn(self.a_value, self.b_value, out=self.out)

    def backward(self) -> None:
        if self.a.wants_grad or self.b.wants_grad:
            local_a, local_b = self.rule.locals(self.a_value, self.b_value)
            if self.a.wants_grad:
                self.a.add_grad(chain(local_a, self.gout))
            if self.b.wants_grad:
                self.b.add_grad(chain(local_b, self.gout))


class Sum:
    """m n-ary sums at once: `terms` is every sum's terms in a row, `segment` says whose each is."""

    def __init__(self, terms: Operand, segment: Array, out: Array, gout: Array):
        self.terms, self.segment, self.out, self.gout = terms, segment, out, gout

    def forward(self) -> None:
        # bincount adds each bin's weights one after another, left to right: the same
        # float additions as the chain of "+" it replaces
        self.out[...] = np.bincount(self.segment, weights=self.terms.read(), minlength=len(self.out))

    def backward(self) -> None:
        if self.terms.wants_grad:
            g = self.gout if len(self.gout) == 1 else self.gout[self.segment]
            self.terms.add_grad(g)


class _Neurons:
    """Neuron nodes of one activation: inputs `x`, weights `w` and biases `b`."""

    def __init__(self, act: str, x: Operand, w: Operand, b: Operand, out: Array, gout: Array):
        self.fn, self.slope = ACTIVATION[act].on_arrays(), ACTIVATION[act].slope
        self.x, self.w, self.b, self.out, self.gout = x, w, b, out, gout


class MatrixProduct(_Neurons):
    """A layer's neurons (R rows of weights) over every sample (C rows of inputs): act(X @ W.T + b)."""

    def forward(self) -> None:
        self.x_value, self.w_value = self.x.read(), self.w.read()
        z = self.x_value @ self.w_value.T
        z += self.b.read()
        self.out[...] = self.fn(z)

    def backward(self) -> None:
        g = chain(self.slope(self.out), self.gout)  # (C, R): the grad of each weighted sum
        if self.w.wants_grad:
            self.w.add_grad(g.T @ self.x_value)
        if self.b.wants_grad:
            self.b.add_grad(g.sum(axis=0))
        if self.x.wants_grad:
            self.x.add_grad(g @ self.w_value)


class RowwiseNeurons(_Neurons):
    """Neuron nodes that do not form a grid: k rows of weights times k rows of inputs, row by row."""

    def forward(self) -> None:
        self.x_value, self.w_value = self.x.read(), self.w.read()
        self.out[...] = self.fn(np.einsum("ij,ij->i", self.x_value, self.w_value) + self.b.read())

    def backward(self) -> None:
        g = chain(self.slope(self.out), self.gout)
        if self.w.wants_grad:
            self.w.add_grad(g[:, None] * self.x_value)
        if self.b.wants_grad:
            self.b.add_grad(g)
        if self.x.wants_grad:
            self.x.add_grad(g[:, None] * self.w_value)

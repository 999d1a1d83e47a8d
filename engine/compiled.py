"""Compiled mode: trace one training step's scalar graph, then replay it as NumPy array operations.

The lecture ends on the point that libraries like PyTorch are fast because they work
on tensors, not scalars. This module measures that point on the user's own model:

1. Trace. One step (forward, loss with L2) runs on the plain engine, with the batch's
   inputs and targets as leaf `Value`s, so the graph says which leaf is a parameter,
   an input, a target or a constant.
2. Rewrite. Nodes that depend on no parameter, input or target are folded into
   constants. A chain ((a + b) + c) + ... whose intermediate nodes are used once
   (Python's sum over 100 losses, the L2 sum over every parameter) becomes one
   n-ary sum: the chain is sequential in the scalar graph and would otherwise be
   hundreds of levels. The sum adds its terms in the chain's order, so it rounds
   as the chain did.
3. Level and group. A node's level is one more than its operands' highest; nodes of
   one level never depend on each other, so those with the same operation become
   one array operation: gather the operands (a view when the indices are regular,
   an index array otherwise), compute, store into a contiguous block. A layer's
   neuron nodes over every sample form a grid (samples × neurons) and become one
   matrix product ``X @ W.T + b``.
4. Replay. `CompiledStep.run` copies in the parameters, inputs and targets, runs the
   array operations level by level, then backward in reverse level order, with
   scatter-adds where one node feeds several others.

Only a graph that is the same on every step can be replayed. Tracing sees one path
through the model's Python code; code that branches on the numbers would take
another path on other numbers. So only engine.nn's own MLP (known branch-free) is
compiled, and `compile_step` checks its program against the plain engine before
handing it out; anything else returns a reason, and training stays on the plain engine.

NumPy is imported here only: `import engine` and `engine.train` must not need it.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import chain
from typing import Protocol

import numpy as np
from numpy.lib.stride_tricks import as_strided

from engine.losses import l2 as l2_penalty
from engine.losses import loss_function
from engine.nn import MLP, Layer, Neuron
from engine.value import NEURON_OPS, Value, topological_order

Array = np.ndarray

# ---------------------------------------------------------------- the element-wise functions
# Each mirrors the plain engine's float formula (engine/value.py), including what it does
# with nan (relu(nan) is 0 there: `x if x > 0 else 0.0`).


def _relu(a: Array) -> Array:
    return np.where(a > 0, a, 0.0)


def _sigmoid(a: Array) -> Array:
    # 1 / (1 + e^-x) for x >= 0, e^x / (1 + e^x) below: e^-|x| never overflows
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _identity(a: Array) -> Array:
    return a


# op -> (forward, local derivative from (operand, output)), as the backward rules write it
_UNARY: dict[str, tuple[Callable[[Array], Array], Callable[[Array, Array], Array | float]]] = {
    "tanh": (np.tanh, lambda a, out: 1 - out**2),
    "exp": (np.exp, lambda a, out: out),
    "log": (np.log, lambda a, out: 1 / a),
    "relu": (_relu, lambda a, out: out > 0),
    "sigmoid": (_sigmoid, lambda a, out: out * (1 - out)),
    "linear": (_identity, lambda a, out: 1.0),
}
_SUPPORTED = {"+", "*", "**", "tanh", "exp", "log", "relu", "sigmoid", *NEURON_OPS}


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


# ---------------------------------------------------------------- operands: views or gathers


def _strided_view(buffer: Array, index: Array) -> Array | None:
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


class _Operand:
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
        self.view = _strided_view(values, index)
        self.wants_grad = wants_grad
        self.unique = len(np.unique(index)) == index.size
        self.grad_view = _strided_view(grads, index) if wants_grad and self.unique else None

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
# Each writes its group's outputs into `out`, a contiguous block of the values buffer, and
# in backward reads their grads from the same block of the grads buffer (`gout`).


class _ArrayOp(Protocol):
    def forward(self) -> None: ...

    def backward(self) -> None: ...


class _Unary:
    def __init__(self, op: str, a: _Operand, out: Array, gout: Array):
        self.fn, self.derivative = _UNARY[op]
        self.a, self.out, self.gout = a, out, gout

    def forward(self) -> None:
        self.a_value = self.a.read()
        self.out[...] = self.fn(self.a_value)

    def backward(self) -> None:
        if self.a.wants_grad:
            self.a.add_grad(self.derivative(self.a_value, self.out) * self.gout)


class _Power:
    def __init__(self, exponent: float, a: _Operand, out: Array, gout: Array):
        self.exponent, self.a, self.out, self.gout = exponent, a, out, gout

    def forward(self) -> None:
        self.a_value = self.a.read()
        self.out[...] = self.a_value**self.exponent

    def backward(self) -> None:
        if self.a.wants_grad:
            n = self.exponent
            self.a.add_grad((n * self.a_value ** (n - 1)) * self.gout)


class _Binary:
    def __init__(self, op: str, a: _Operand, b: _Operand, out: Array, gout: Array):
        self.multiply = op == "*"
        self.a, self.b, self.out, self.gout = a, b, out, gout

    def forward(self) -> None:
        self.a_value, self.b_value = self.a.read(), self.b.read()
        if self.multiply:
            np.multiply(self.a_value, self.b_value, out=self.out)
        else:
            np.add(self.a_value, self.b_value, out=self.out)

    def backward(self) -> None:
        g = self.gout
        if self.a.wants_grad:
            self.a.add_grad(self.b_value * g if self.multiply else g)
        if self.b.wants_grad:
            self.b.add_grad(self.a_value * g if self.multiply else g)


class _Sum:
    """m n-ary sums at once: `terms` is every sum's terms in a row, `segment` says whose each is."""

    def __init__(self, terms: _Operand, segment: Array, out: Array, gout: Array):
        self.terms, self.segment, self.out, self.gout = terms, segment, out, gout

    def forward(self) -> None:
        # bincount adds each bin's weights one after another, left to right: the same
        # float additions as the chain of "+" it replaces
        self.out[...] = np.bincount(self.segment, weights=self.terms.read(), minlength=len(self.out))

    def backward(self) -> None:
        if self.terms.wants_grad:
            g = self.gout if len(self.gout) == 1 else self.gout[self.segment]
            self.terms.add_grad(g)


class _MatrixProduct:
    """A layer's neurons (R rows of weights) over every sample (C rows of inputs): act(X @ W.T + b)."""

    def __init__(self, act: str, x: _Operand, w: _Operand, b: _Operand, out: Array, gout: Array):
        self.fn, self.derivative = _UNARY[act]
        self.x, self.w, self.b, self.out, self.gout = x, w, b, out, gout

    def forward(self) -> None:
        self.x_value, self.w_value = self.x.read(), self.w.read()
        z = self.x_value @ self.w_value.T
        z += self.b.read()
        self.out[...] = self.fn(z)

    def backward(self) -> None:
        g = self.derivative(None, self.out) * self.gout  # (C, R): the grad of each weighted sum
        if self.w.wants_grad:
            self.w.add_grad(g.T @ self.x_value)
        if self.b.wants_grad:
            self.b.add_grad(g.sum(axis=0))
        if self.x.wants_grad:
            self.x.add_grad(g @ self.w_value)


class _RowwiseNeurons:
    """Neuron nodes that do not form a grid: k rows of weights times k rows of inputs, row by row."""

    def __init__(self, act: str, x: _Operand, w: _Operand, b: _Operand, out: Array, gout: Array):
        self.fn, self.derivative = _UNARY[act]
        self.x, self.w, self.b, self.out, self.gout = x, w, b, out, gout

    def forward(self) -> None:
        self.x_value, self.w_value = self.x.read(), self.w.read()
        self.out[...] = self.fn(np.einsum("ij,ij->i", self.x_value, self.w_value) + self.b.read())

    def backward(self) -> None:
        g = self.derivative(None, self.out) * self.gout
        if self.w.wants_grad:
            self.w.add_grad(g[:, None] * self.x_value)
        if self.b.wants_grad:
            self.b.add_grad(g)
        if self.x.wants_grad:
            self.x.add_grad(g[:, None] * self.w_value)


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
        self.forward_ops: list[_ArrayOp] = []  # in level order
        self.backward_ops: list[_ArrayOp] = []  # in reverse level order, those that lead to a parameter
        self.loss_slot = 0
        self.scores: _Operand | None = None
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
        n = len(params)
        data = np.fromiter((p.data for p in params), np.float64, n)
        grads = np.zeros(n) if zero_grad else np.fromiter((p.grad for p in params), np.float64, n)
        loss, scores = self.run(data, grads, inputs, targets)
        with np.errstate(all="ignore"):
            grad_norm = math.sqrt(float(grads @ grads))
            if not (math.isfinite(loss) and math.isfinite(grad_norm)):
                return None
            data -= learning_rate * grads  # the plain update, p.data -= learning_rate * p.grad
        for p, value, grad in zip(params, data.tolist(), grads.tolist()):
            p.data = value
            p.grad = grad
        return loss, scores.tolist(), grad_norm


# ---------------------------------------------------------------- compiling a graph

Members = list[tuple[Value, list[Value]]]  # a group's nodes, each with its operands


def _sum_terms(root: Value, absorbed: set[Value]) -> list[Value]:
    """The terms of a left-leaning chain of "+" nodes, in the order the chain added them."""
    terms = []
    node = root
    while node is root or node in absorbed:
        left, right = node._prev
        terms.append(right)
        node = left
    terms.append(node)
    return terms[::-1]


def _grid(members: Members, n: int) -> tuple[list, list[Value], list, list[tuple[int, int]]] | None:
    """Rows (weights, bias) and columns (inputs) if the neuron nodes are every (column, row) pair once."""
    rows: dict[tuple[Value, ...], int] = {}
    biases: list[Value] = []
    columns: dict[tuple[Value, ...], int] = {}
    cells = []
    for node, _ in members:
        prev = node._prev
        weights, bias = prev[n + 1 :], prev[n]
        r = rows.get(weights)
        if r is None:
            r = rows[weights] = len(rows)
            biases.append(bias)
        elif biases[r] is not bias:  # one row of weights with two biases: not one layer
            return None
        cells.append((columns.setdefault(prev[:n], len(columns)), r))
    if len(rows) * len(columns) != len(members) or len(set(cells)) != len(members):
        return None
    return list(rows), biases, list(columns), cells


class _Builder:
    """Assigns buffer slots to groups and builds their array operations."""

    def __init__(self, program: CompiledStep, slot: dict[Value, int], constants: range):
        self.values, self.grads = program.values, program.grads
        self.slot, self.constants = slot, constants
        self.grad_slots = np.zeros(len(self.values), dtype=bool)  # slots whose grads backward needs
        self.grad_slots[: program.n_params] = True
        self.next_slot = constants.stop

    def operand(self, nodes: Sequence[Value], scalar_ok: bool = False) -> _Operand:
        """`scalar_ok`: the operation broadcasts, so one constant shared by all may be a float."""
        return self._operand(np.array([self.slot[v] for v in nodes], dtype=np.intp), scalar_ok)

    def operand_grid(self, rows: Sequence[Sequence[Value]], width: int) -> _Operand:
        slot = self.slot
        index = np.array([[slot[v] for v in row] for row in rows], dtype=np.intp).reshape(len(rows), width)
        return self._operand(index, False)

    def _operand(self, index: Array, scalar_ok: bool) -> _Operand:
        wants_grad = bool(self.grad_slots[index].any())
        return _Operand(index, self.values, self.grads, self.constants, wants_grad, scalar_ok)

    def build(
        self, level: int, kind: object, wants_grad: bool, members: Members
    ) -> tuple[_ArrayOp, GroupSummary]:
        """The array operation for one group, its outputs placed in the next block of slots."""
        block = slice(self.next_slot, self.next_slot + len(members))
        self.next_slot = block.stop
        out, gout = self.values[block], self.grads[block]
        slot = self.slot
        first_op = members[0][0]._op
        grid = _grid(members, members[0][0]._arg) if first_op in NEURON_OPS else None
        if grid is not None:  # a layer over every sample: one matrix product
            rows, biases, columns, cells = grid
            n = members[0][0]._arg
            for (node, _), (c, r) in zip(members, cells):
                slot[node] = block.start + c * len(rows) + r  # row-major (sample, neuron)
            shape = (len(columns), len(rows))
            x, w = self.operand_grid(columns, n), self.operand_grid(rows, n)
            act = first_op.split(":")[1]
            b = self.operand(biases, scalar_ok=True)
            op = _MatrixProduct(act, x, w, b, out.reshape(shape), gout.reshape(shape))
            array_op = f"matrix product ({shape[0]}×{n}) @ ({n}×{shape[1]}), + bias, {act}"
        else:
            for i, (node, _) in enumerate(members):
                slot[node] = block.start + i
            if first_op in NEURON_OPS:
                n = members[0][0]._arg
                x = self.operand_grid([m[1] for m in members], n)
                w = self.operand_grid([m[0]._prev[n + 1 :] for m in members], n)
                b = self.operand([m[0]._prev[n] for m in members], scalar_ok=True)
                op = _RowwiseNeurons(first_op.split(":")[1], x, w, b, out, gout)
                array_op = f"row-wise dot products ({len(members)}×{n})"
            elif kind == "sum":
                terms = [t for _, operands in members for t in operands]
                segment = np.repeat(np.arange(len(members)), [len(o) for _, o in members])
                op = _Sum(self.operand(terms), segment, out, gout)
                array_op = f"{len(members)} n-ary sum{'s' if len(members) > 1 else ''} of {len(terms)} terms"
            else:
                a = self.operand([m[1][0] for m in members], scalar_ok=True)
                if kind in ("+", "*"):
                    b = self.operand([m[1][1] for m in members], scalar_ok=True)
                    op = _Binary(kind, a, b, out, gout)
                elif first_op == "**":
                    op = _Power(members[0][0]._arg, a, out, gout)
                else:
                    op = _Unary(first_op, a, out, gout)
                array_op = f"element-wise on {len(members)}"
        if wants_grad:
            self.grad_slots[block] = True
        if kind == "sum":  # an n-term sum stands for n - 1 "+" nodes
            name, count = "+ (chains)", sum(len(o) - 1 for _, o in members)
        else:
            name, count = (f"** {members[0][0]._arg:g}" if first_op == "**" else first_op), len(members)
        return op, GroupSummary(level, name, count, array_op)


def compile_graph(
    loss: Value,
    scores: Sequence[Value],
    params: Sequence[Value],
    inputs: Sequence[Sequence[Value]],
    targets: Sequence[Value],
) -> CompiledStep | str:
    """Compile a traced graph into a `CompiledStep`, or say why it cannot be.

    `params`, `inputs` (rows of leaves) and `targets` are the leaves whose numbers
    `run` feeds in; every other leaf is a constant, fixed at its traced value.
    """
    start_time = time.perf_counter()
    n_params, batch_size = len(params), len(inputs)
    n_inputs = len(inputs[0]) if inputs else 0
    slot: dict[Value, int] = {p: i for i, p in enumerate(params)}
    for i, row in enumerate(inputs):
        for j, x in enumerate(row):
            slot[x] = n_params + i * n_inputs + j
    for i, y in enumerate(targets):
        slot[y] = n_params + batch_size * n_inputs + i
    if len(slot) != n_params + batch_size * (n_inputs + 1):
        return "a parameter, input or target appears twice among the leaves"
    fed_in = len(slot)

    # Pass 1: fold what depends on no fed-in leaf; note which nodes lead to a parameter.
    nodes = topological_order(loss)
    varying, needs_grad = set(slot), set(params)
    constants: list[float] = []
    interior: list[Value] = []
    depth: dict[Value, int] = {}  # the scalar graph's levels, for the summary
    folded = 0
    for node in nodes:
        prev = node._prev
        if not prev:
            depth[node] = 0
            if node not in slot:
                slot[node] = fed_in + len(constants)
                constants.append(node.data)
            continue
        if node._op not in _SUPPORTED:
            return f"the operation {node._op!r} has no compiled form"
        operands = prev[: node._arg] if node._op in NEURON_OPS else prev  # a neuron's weights are leaves
        depth[node] = 1 + max(map(depth.__getitem__, operands), default=0)
        if varying.isdisjoint(prev):
            slot[node] = fed_in + len(constants)
            constants.append(node.data)
            folded += 1
        else:
            varying.add(node)
            interior.append(node)
            if not needs_grad.isdisjoint(prev):
                needs_grad.add(node)
    if any(s not in depth for s in scores):
        return "a score does not reach the loss"

    # Pass 2: a "+" that is the left operand of another "+", and used nowhere else, is absorbed
    # into an n-ary sum: ((a + b) + c) + d becomes sum(a, b, c, d), added in the same order.
    outputs = {loss, *scores}
    uses = Counter(
        chain.from_iterable(n._prev[: n._arg] if n._op in NEURON_OPS else n._prev for n in interior)
    )
    absorbed = set()
    for node in interior:
        if node._op == "+":
            left = node._prev[0]
            if left._op == "+" and left in varying and uses[left] == 1 and left not in outputs:
                absorbed.add(left)

    # Pass 3: each remaining node's operands and level; group by (level, needs a grad, kind).
    level = dict.fromkeys(slot, 0)  # leaves and folded nodes
    groups: dict[tuple[int, bool, object], Members] = {}
    for node in interior:
        if node in absorbed:
            continue
        op = node._op
        if op == "+":
            operands = _sum_terms(node, absorbed)
            kind: object = "sum" if len(operands) > 2 else "+"
        elif op in NEURON_OPS:
            operands = list(node._prev[: node._arg])  # its weights and bias are leaves, at level 0
            kind = (op, node._arg)
        else:
            operands = list(node._prev)
            kind = ("**", node._arg) if op == "**" else op
        level[node] = 1 + max(map(level.__getitem__, operands), default=0)
        groups.setdefault((level[node], node in needs_grad, kind), []).append((node, operands))

    # Pass 4: level by level, a contiguous block of slots and an array operation per group.
    n_slots = fed_in + len(constants) + len(interior) - len(absorbed)
    program = CompiledStep(n_params, batch_size, n_inputs, n_slots)
    constant_slots = range(fed_in, fed_in + len(constants))
    program.values[constant_slots.start : constant_slots.stop] = constants
    builder = _Builder(program, slot, constant_slots)
    summaries = []
    for key in sorted(groups, key=lambda k: k[0]):  # stable: groups of a level keep their order
        op, summary = builder.build(key[0], key[2], key[1], groups[key])
        program.forward_ops.append(op)
        if key[1]:
            program.backward_ops.insert(0, op)
        summaries.append(summary)
    program.loss_slot = slot[loss]
    program.scores = builder.operand(scores)
    program.summary = CompileSummary(
        scalar_ops=len(interior) + folded,
        scalar_levels=depth[loss],
        folded=folded,
        groups=tuple(summaries),
        seconds=time.perf_counter() - start_time,
    )
    return program


# ---------------------------------------------------------------- compiling a training step


def _is_plain_mlp(model: object) -> bool:
    """An engine.nn.MLP of engine.nn Layers and Neurons, not a subclass that may branch on numbers."""
    return (
        type(model) is MLP
        and all(type(layer) is Layer for layer in model.layers)
        and all(type(neuron) is Neuron for layer in model.layers for neuron in layer.neurons)
    )


def trace_step(
    model: MLP,
    loss_name: str,
    l2: float,
    batch_inputs: Sequence[Sequence[float]],
    batch_targets: Sequence[float],
) -> tuple[Value, list[Value], list[list[Value]], list[Value]]:
    """One step's graph, as Trainer.loss_on builds it, with the inputs and targets as leaves.

    Returns (loss, scores, input leaves, target leaves). A target y enters the loss as
    a leaf instead of a number: ``-y`` then is a node ``y * -1``, the same float.
    """
    inputs = [[Value(x) for x in row] for row in batch_inputs]
    targets = [Value(y) for y in batch_targets]
    scores = [model(row) for row in inputs]
    loss = loss_function(loss_name)(scores, targets)
    if l2:
        loss = loss + l2_penalty(model.parameters(), l2)
    return loss, scores, inputs, targets


def _disagreement(got: Array, want: Array) -> float:
    """The largest |got - want| in units of 1e-9 · max(1, the largest |want|)."""
    scale = 1e-9 * max(1.0, float(np.max(np.abs(want), initial=0.0)))
    return float(np.max(np.abs(got - want), initial=0.0)) / scale


def compile_step(
    model: MLP,
    loss_name: str,
    l2: float,
    batch_inputs: Sequence[Sequence[float]],
    batch_targets: Sequence[float],
) -> CompiledStep | str:
    """A replayable program for a step on batches of this size, or the reason there is none.

    The batch is only a sample of the shape: the program takes any inputs and targets
    of the same size. Before returning it, its loss, scores and grads on this batch
    are checked against the plain engine's (within 1e-9).
    """
    start_time = time.perf_counter()
    if not _is_plain_mlp(model):
        return (
            f"compiled mode replays the graph of engine.nn.MLP only; a {type(model).__name__} "
            "may take another path through its code on other numbers"
        )
    params = model.parameters()
    try:
        loss, scores, inputs, targets = trace_step(model, loss_name, l2, batch_inputs, batch_targets)
    except (ArithmeticError, ValueError, TypeError) as exc:
        return f"the step could not be traced: {exc}"
    if not math.isfinite(loss.data):
        return f"the traced loss is {loss.data}"
    program = compile_graph(loss, scores, params, inputs, targets)
    if isinstance(program, str):
        return program

    # The check: the plain engine's grads on the traced graph, leaving the model's grads as they were.
    saved = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    try:
        loss.backward()
        want_grads = np.array([p.grad for p in params])
    except ArithmeticError as exc:  # say 0 ** -0.5 in a backward rule
        return f"the traced step's gradients left the range of floats ({exc})"
    finally:
        for p, grad in zip(params, saved):
            p.grad = grad
    got_grads = np.zeros(len(params))
    got_loss, got_scores = program.run(
        np.array([p.data for p in params]), got_grads, batch_inputs, batch_targets
    )
    want_scores = np.array([s.data for s in scores])
    for what, got, want in (
        ("loss", np.array([got_loss]), np.array([loss.data])),
        ("scores", got_scores, want_scores),
        ("gradients", got_grads, want_grads),
    ):
        if not np.all(np.isfinite(want)):
            return f"the traced {what} are not finite"
        if not _disagreement(got, want) <= 1.0:
            return f"the compiled {what} disagree with the plain engine's (a bug: please report it)"
    program.summary = replace(program.summary, seconds=time.perf_counter() - start_time)
    return program

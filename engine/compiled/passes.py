"""Compiled mode's compiler: from a traced scalar graph to a `CompiledStep`, in four passes.

1. Fold: nodes that depend on no parameter, input or target become constants.
2. Absorb: a chain ((a + b) + c) + ... whose intermediate nodes are used once becomes
   one n-ary sum, added in the chain's order, so it rounds as the chain did.
3. Level and group: a node's level is one more than its operands' highest; nodes of one
   level never depend on each other, so those of the same kind become one group.
4. Build: each group gets a contiguous block of buffer slots and one array operation;
   a layer's neuron nodes over every sample become one matrix product.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from engine.compiled.array_ops import (
    ArrayOp,
    Binary,
    MatrixProduct,
    Operand,
    Power,
    RowwiseNeurons,
    Sum,
    Unary,
)
from engine.compiled.program import CompiledStep, CompileSummary, GroupSummary
from engine.neuron import neuron_inputs, neuron_parameters, topological_order_by_parts
from engine.ops import NEURON_OPS, OPS
from engine.value import Value

Array = np.ndarray
Members = list[tuple[Value, list[Value]]]  # a group's nodes, each with its operands
GroupKey = tuple[int, bool, object]  # (level, needs a grad, kind)
_SUPPORTED = {*OPS, *NEURON_OPS}


def _varying_operands(node: Value) -> tuple[Value, ...]:
    """A node's operands, but only the inputs of a neuron: its weights and bias are leaves.

    A neuron's inputs are the one tuple its layer's neurons share: the passes below work
    per distinct tuple (keyed by id) where they can, not once per neuron.
    """
    return neuron_inputs(node) if node.op in NEURON_OPS else node.operands


def _operand_tuples(node: Value) -> tuple[tuple[Value, ...], ...]:
    """A node's operands as one or two tuples: a neuron's parameters and its inputs apart."""
    return (neuron_parameters(node), neuron_inputs(node)) if node.op in NEURON_OPS else (node.operands,)


def _highest(levels: dict[Value, int], operands: tuple[Value, ...], memo: dict[int, int]) -> int:
    """The highest level among `operands`, remembered per tuple (a layer's neurons share theirs)."""
    key = id(operands)
    if key not in memo:
        memo[key] = max(map(levels.__getitem__, operands), default=0)
    return memo[key]


# ---------------------------------------------------------------- pass 1: fold


@dataclass
class _Folded:
    """The graph after folding: every leaf and constant has a slot; `interior` is what runs."""

    slot: dict[Value, int]
    fed_in: int  # slots of parameters, inputs and targets
    constants: list[float] = field(default_factory=list)
    interior: list[Value] = field(default_factory=list)  # in topological order
    varying: set[Value] = field(default_factory=set)  # depends on a parameter, input or target
    needs_grad: set[Value] = field(default_factory=set)  # leads to a parameter
    depth: dict[Value, int] = field(default_factory=dict)  # the scalar graph's levels, for the summary
    folded: int = 0

    def make_constant(self, node: Value) -> None:
        self.slot[node] = self.fed_in + len(self.constants)
        self.constants.append(node.data)


def _fed_in_slots(
    params: Sequence[Value], inputs: Sequence[Sequence[Value]], targets: Sequence[Value]
) -> dict[Value, int] | None:
    """Slots of the leaves `run` feeds in: parameters, inputs row by row, targets; None if one repeats."""
    n_params, batch_size = len(params), len(inputs)
    n_inputs = len(inputs[0]) if inputs else 0
    slot: dict[Value, int] = {p: i for i, p in enumerate(params)}
    for i, row in enumerate(inputs):
        for j, x in enumerate(row):
            slot[x] = n_params + i * n_inputs + j
    for i, y in enumerate(targets):
        slot[y] = n_params + batch_size * n_inputs + i
    return slot if len(slot) == n_params + batch_size * (n_inputs + 1) else None


def _fold(loss: Value, slot: dict[Value, int], params: Sequence[Value]) -> _Folded | str:
    """Pass 1: fold what depends on no fed-in leaf; note which nodes lead to a parameter."""
    graph = _Folded(slot, len(slot), varying=set(slot), needs_grad=set(params))
    highest: dict[int, int] = {}
    for node in topological_order_by_parts(loss):
        if not node.op:
            graph.depth[node] = 0
            if node not in slot:
                graph.make_constant(node)
            continue
        if node.op not in _SUPPORTED:
            return f"the operation {node.op!r} has no compiled form"
        graph.depth[node] = 1 + _highest(graph.depth, _varying_operands(node), highest)
        operand_tuples = _operand_tuples(node)
        if all(map(graph.varying.isdisjoint, operand_tuples)):
            graph.make_constant(node)
            graph.folded += 1
            continue
        graph.varying.add(node)
        graph.interior.append(node)
        if not all(map(graph.needs_grad.isdisjoint, operand_tuples)):
            graph.needs_grad.add(node)
    return graph


# ---------------------------------------------------------------- pass 2: absorb sums


def _absorbed_sums(graph: _Folded, outputs: set[Value]) -> set[Value]:
    """Pass 2: each "+" that is the left operand of another "+", used nowhere else, goes into an n-ary sum.

    ((a + b) + c) + d becomes sum(a, b, c, d), added in the same order.
    """
    uses = _uses(graph.interior)
    absorbed = set()
    for node in graph.interior:
        if node.op != "+":
            continue
        left = node.operands[0]
        if left.op == "+" and left in graph.varying and uses[left] == 1 and left not in outputs:
            absorbed.add(left)
    return absorbed


def _uses(interior: Sequence[Value]) -> Counter:
    """How many times each node is an operand of these nodes (a neuron's weights and bias not counted)."""
    uses: Counter = Counter()
    shared: dict[int, list] = {}  # a tuple of inputs shared by neurons: [the tuple, how many neurons]
    for node in interior:
        if node.op in NEURON_OPS:
            entry = shared.setdefault(id(neuron_inputs(node)), [neuron_inputs(node), 0])
            entry[1] += 1
        else:
            uses.update(node.operands)
    for operands, times in shared.values():
        for operand in operands:
            uses[operand] += times
    return uses


def _sum_terms(root: Value, absorbed: set[Value]) -> list[Value]:
    """The terms of a left-leaning chain of "+" nodes, in the order the chain added them."""
    terms = []
    node = root
    while node is root or node in absorbed:
        left, right = node.operands
        terms.append(right)
        node = left
    terms.append(node)
    return terms[::-1]


# ---------------------------------------------------------------- pass 3: level and group


def _operands_and_kind(node: Value, absorbed: set[Value]) -> tuple[list[Value], object]:
    """What a node's array operation reads, and what nodes must share to be in its group."""
    op = node.op
    if op == "+":
        terms = _sum_terms(node, absorbed)
        return terms, "sum" if len(terms) > 2 else "+"
    if op in NEURON_OPS:
        return neuron_inputs(node), (op, node.n_inputs)  # weights and bias: leaves, at level 0
    return list(node.operands), ("**", node.exponent) if op == "**" else op


def _groups(graph: _Folded, absorbed: set[Value]) -> dict[GroupKey, Members]:
    """Pass 3: each remaining node's operands and level; grouped by (level, needs a grad, kind)."""
    level = dict.fromkeys(graph.slot, 0)  # leaves and folded nodes
    groups: dict[GroupKey, Members] = {}
    highest: dict[int, int] = {}
    for node in graph.interior:
        if node in absorbed:
            continue
        operands, kind = _operands_and_kind(node, absorbed)
        if node.op in NEURON_OPS:  # its inputs' tuple, shared by its layer
            level[node] = 1 + _highest(level, operands, highest)
        else:  # a list made for this node: its id may be reused once it is gone
            level[node] = 1 + max(map(level.__getitem__, operands), default=0)
        groups.setdefault((level[node], node in graph.needs_grad, kind), []).append((node, operands))
    return groups


# ---------------------------------------------------------------- pass 4: build


def _grid(members: Members, n: int) -> tuple[list, list[Value], list, list[tuple[int, int]]] | None:
    """Rows (weights, bias) and columns (inputs) if the neuron nodes are every (column, row) pair once."""
    rows: dict[tuple[Value, ...], int] = {}
    biases: list[Value] = []
    columns: dict[tuple[Value, ...], int] = {}
    cells = []
    for node, inputs in members:
        parameters = neuron_parameters(node)
        weights, bias = parameters[1:], parameters[0]
        r = rows.get(weights)
        if r is None:
            r = rows[weights] = len(rows)
            biases.append(bias)
        elif biases[r] is not bias:  # one row of weights with two biases: not one layer
            return None
        cells.append((columns.setdefault(inputs, len(columns)), r))
    if len(rows) * len(columns) != len(members) or len(set(cells)) != len(members):
        return None
    return list(rows), biases, list(columns), cells


def _summary_name(kind: object, members: Members) -> tuple[str, int]:
    """The scalar operation a group stands for, and how many of them."""
    if kind == "sum":  # an n-term sum stands for n - 1 "+" nodes
        return "+ (chains)", sum(len(operands) - 1 for _, operands in members)
    node = members[0][0]
    return (f"** {node.exponent:g}" if node.op == "**" else node.op), len(members)


class _Builder:
    """Assigns buffer slots to groups and builds their array operations."""

    def __init__(self, program: CompiledStep, slot: dict[Value, int], constants: range):
        self.values, self.grads = program.values, program.grads
        self.slot, self.constants = slot, constants
        self.grad_slots = np.zeros(len(self.values), dtype=bool)  # slots whose grads backward needs
        self.grad_slots[: program.n_params] = True
        self.next_slot = constants.stop

    def operand(self, nodes: Sequence[Value], scalar_ok: bool = False) -> Operand:
        """`scalar_ok`: the operation broadcasts, so one constant shared by all may be a float."""
        return self._operand(np.array([self.slot[v] for v in nodes], dtype=np.intp), scalar_ok)

    def operand_grid(self, rows: Sequence[Sequence[Value]], width: int) -> Operand:
        slot = self.slot
        index = np.array([[slot[v] for v in row] for row in rows], dtype=np.intp).reshape(len(rows), width)
        return self._operand(index, False)

    def _operand(self, index: Array, scalar_ok: bool) -> Operand:
        wants_grad = bool(self.grad_slots[index].any())
        return Operand(index, self.values, self.grads, self.constants, wants_grad, scalar_ok)

    def build(
        self, level: int, kind: object, wants_grad: bool, members: Members
    ) -> tuple[ArrayOp, GroupSummary]:
        """The array operation for one group, its outputs placed in the next block of slots."""
        block = slice(self.next_slot, self.next_slot + len(members))
        self.next_slot = block.stop
        first = members[0][0]
        grid = _grid(members, first.n_inputs) if first.op in NEURON_OPS else None
        if grid is not None:  # a layer over every sample: one matrix product
            op, array_op = self._matrix_product(members, grid, block)
        else:
            for i, (node, _) in enumerate(members):
                self.slot[node] = block.start + i
            op, array_op = self._row_by_row(kind, members, block)
        if wants_grad:
            self.grad_slots[block] = True
        return op, GroupSummary(level, *_summary_name(kind, members), array_op)

    def _matrix_product(self, members: Members, grid: tuple, block: slice) -> tuple[ArrayOp, str]:
        rows, biases, columns, cells = grid
        for (node, _), (c, r) in zip(members, cells):
            self.slot[node] = block.start + c * len(rows) + r  # row-major (sample, neuron)
        first = members[0][0]
        n, act = first.n_inputs, first.op.split(":")[1]
        shape = (len(columns), len(rows))
        x, w = self.operand_grid(columns, n), self.operand_grid(rows, n)
        b = self.operand(biases, scalar_ok=True)
        op = MatrixProduct(act, x, w, b, self.values[block].reshape(shape), self.grads[block].reshape(shape))
        return op, f"matrix product ({shape[0]}×{n}) @ ({n}×{shape[1]}), + bias, {act}"

    def _row_by_row(self, kind: object, members: Members, block: slice) -> tuple[ArrayOp, str]:
        out, gout = self.values[block], self.grads[block]
        first = members[0][0]
        if first.op in NEURON_OPS:
            n = first.n_inputs
            x = self.operand_grid([operands for _, operands in members], n)
            w = self.operand_grid([node.operands[n + 1 :] for node, _ in members], n)
            b = self.operand([node.operands[n] for node, _ in members], scalar_ok=True)
            op = RowwiseNeurons(first.op.split(":")[1], x, w, b, out, gout)
            return op, f"row-wise dot products ({len(members)}×{n})"
        if kind == "sum":
            terms = [t for _, operands in members for t in operands]
            segment = np.repeat(np.arange(len(members)), [len(o) for _, o in members])
            plural = "s" if len(members) > 1 else ""
            return Sum(
                self.operand(terms), segment, out, gout
            ), f"{len(members)} n-ary sum{plural} of {len(terms)} terms"
        a = self.operand([operands[0] for _, operands in members], scalar_ok=True)
        if kind in ("+", "*"):
            b = self.operand([operands[1] for _, operands in members], scalar_ok=True)
            op = Binary(first.op, a, b, out, gout)
        elif first.op == "**":
            op = Power(first.exponent, a, out, gout)
        else:
            op = Unary(first.op, a, out, gout)
        return op, f"element-wise on {len(members)}"


def _build(
    graph: _Folded, groups: dict[GroupKey, Members], shape: tuple[int, int, int], n_absorbed: int
) -> tuple[CompiledStep, _Builder, list[GroupSummary]]:
    """Pass 4: level by level, a contiguous block of slots and an array operation per group."""
    n_slots = graph.fed_in + len(graph.constants) + len(graph.interior) - n_absorbed
    program = CompiledStep(*shape, n_slots)
    constant_slots = range(graph.fed_in, graph.fed_in + len(graph.constants))
    program.values[constant_slots.start : constant_slots.stop] = graph.constants
    builder = _Builder(program, graph.slot, constant_slots)
    summaries = []
    for key in sorted(groups, key=lambda k: k[0]):  # stable: groups of a level keep their order
        level, wants_grad, kind = key
        op, summary = builder.build(level, kind, wants_grad, groups[key])
        program.forward_ops.append(op)
        if wants_grad:
            program.backward_ops.insert(0, op)
        summaries.append(summary)
    return program, builder, summaries


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
    slot = _fed_in_slots(params, inputs, targets)
    if slot is None:
        return "a parameter, input or target appears twice among the leaves"
    graph = _fold(loss, slot, params)
    if isinstance(graph, str):
        return graph
    if any(s not in graph.depth for s in scores):
        return "a score does not reach the loss"
    absorbed = _absorbed_sums(graph, {loss, *scores})
    groups = _groups(graph, absorbed)
    shape = (len(params), len(inputs), len(inputs[0]) if inputs else 0)
    program, builder, summaries = _build(graph, groups, shape, len(absorbed))
    program.loss_slot = slot[loss]
    program.scores = builder.operand(scores)
    program.summary = CompileSummary(
        scalar_ops=len(graph.interior) + graph.folded,
        scalar_levels=graph.depth[loss],
        folded=graph.folded,
        groups=tuple(summaries),
        seconds=time.perf_counter() - start_time,
    )
    return program

"""What the graph tabs say about a graph, in the lecture's words: numbers, names, rules, steps.

Plain text, no Qt: `format_number` writes a record's numbers, `op_symbol` an operation's
small node, `node_name` what an unnamed value computes, `local_rule` how an operation's
local derivative is worked out, and `explain_step` what one step of backprop did.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from engine.ops import ACTIVATION, NEURON_OPS, OPS
from engine.value import Value

if TYPE_CHECKING:
    from engine.backprop import BackwardStep
    from engine.graph import Graph, GraphNode

NUMBER_WIDTH = 9  # the longest fixed-point text format_number writes; longer numbers go to e-notation

KIND_HELP = {
    "input": "an input of the sample",
    "weight": "a weight (a parameter)",
    "bias": "a bias (a parameter)",
    "constant": "a constant",
    "value": "an intermediate value",
    "output": "the output",
}


def format_number(x: float) -> str:
    """A number in at most NUMBER_WIDTH characters: 4 decimals where they fit."""
    if x == 0:
        return "0.0000"
    if math.isnan(x) or math.isinf(x):
        return str(x)
    text = f"{x:.4f}"
    return text if len(text) <= NUMBER_WIDTH and abs(x) >= 1e-4 else f"{x:.2e}"


def op_symbol(value: Value) -> str:
    """How the operation that made `value` is written on its small node."""
    op = value.op
    if op in NEURON_OPS:
        act = op.split(":")[1]
        return "w·x+b" if act == "linear" else f"{act}(w·x+b)"
    if op == "**":
        return f"**{value.exponent:g}"
    return op


def local_rule(v: Value) -> str:
    """How ∂out/∂input is computed for the operation that made `v` (the op table's rule)."""
    op = v.op
    if op in NEURON_OPS:
        return f"{ACTIVATION[op.split(':')[1]].rule}, times the weight, input or 1 it multiplies"
    if op == "**":
        return f"{OPS[op].rule}, here {v.exponent:g}·a^{v.exponent - 1:g}"
    return OPS[op].rule if op in OPS else "?"


def node_name(graph: Graph, node: GraphNode, depth: int = 2, top: bool = True) -> str:
    """The node's label, or for an unnamed value what it computes: “w1.1.1·x1”, “b1.1 + w1.1.1·x1 + …”."""
    if node.name:
        return node.name
    v = node.value
    if not v.operands:
        return format_number(v.data).rstrip("0").rstrip(".") if node.kind == "constant" else node.id
    if depth == 0:
        return "…"
    if v.op == "+":
        text = " + ".join(_sum_terms(graph, v, depth))
        return text if top else f"({text})"
    return _applied(v, [node_name(graph, graph.of(p), depth - 1, top=False) for p in v.operands])


def _sum_terms(graph: Graph, v: Value, depth: int) -> list[str]:
    """A chain of sums, as in a neuron (b + w1·x1 + w2·x2 + ...), flattened; long ones shortened."""
    terms, stack = [], [v]
    while stack:
        u = stack.pop()
        if u.op == "+" and (u is v or not graph.of(u).name):
            stack.extend(reversed(u.operands))
        else:
            terms.append(node_name(graph, graph.of(u), depth - 1, top=False))
    return [*terms[:2], "…", terms[-1]] if len(terms) > 4 else terms


def _applied(v: Value, operands: list[str]) -> str:
    """An operation (not a sum) written over its operands' names."""
    if v.op == "*":
        return f"{operands[0]}·{operands[1]}"
    if v.op == "**":
        return f"{operands[0]}^{v.exponent:g}"
    if v.op in NEURON_OPS:
        return op_symbol(v)
    return f"{v.op}({operands[0]})"


def explain_step(graph: Graph, step: BackwardStep | None, position: int, total: int) -> str:
    """What one step of backprop did: which node ran its backward rule, and what it added to which operand."""
    head = f"step {position} / {total} · "
    if step is None:
        root = graph.of(graph.root)
        return head + (
            f"backward() starts: every grad is 0, except {node_name(graph, root)}.grad = 1 (∂out/∂out). "
            "Step ▶ runs the nodes' backward rules, output first."
        )
    fmt = format_number
    node, upstream = step.node, step.upstream
    name = node_name(graph, node)
    if not step.contributions:
        return (
            head
            + f"{name} is a leaf ({node.kind}): nothing behind it; its grad {fmt(node.value.grad)} is final."
        )
    what = f"{op_symbol(node.value)} node {name}"
    rule = local_rule(node.value)
    if len(step.contributions) == 1:
        operand, local, added = step.contributions[0]
        return head + (
            f"{what}: local derivative {rule} = {fmt(local)} × upstream grad {fmt(upstream)} "
            f"→ adds {fmt(added)} to {node_name(graph, operand)}"
        )
    shown = step.contributions[:3]
    adds = "; ".join(
        f"{node_name(graph, operand)} += {fmt(local)} × {fmt(upstream)} = {fmt(added)}"
        for operand, local, added in shown
    )
    text = f"{what} (upstream grad {fmt(upstream)}, local derivative {rule}): {adds}"
    more = len(step.contributions) - len(shown)
    if more:
        text += f"; … and {more} more (see details)"
    return head + text

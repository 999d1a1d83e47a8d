"""The graph of a sample on which training broke, with the node where it broke.

When a run diverges, `engine.diagnostics.find_breakdown` names the first node whose
number stopped being finite, replaying the step as training computes it. The graph
view draws the sample its own way (neurons expanded or as one node each, tanh as one
node or as exps), so it finds the node again on its own graph by the same rules:

* a weight or bias at fault is found by its name;
* otherwise the first node in topological order whose data is not finite, else the
  first node backward() reaches whose grad is not finite;
* where an operation raised instead of giving inf (``1e200 ** 2`` does), its node was
  never made: the graph then ends at that operation's operand, which is the node shown.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from engine.diagnostics import describe, failed_op
from engine.graph import Graph, GraphNode, parameter_kinds, sample_forward
from engine.nn import MLP
from engine.value import Value, topological_order

INPUT_LABEL = re.compile(r"x\d+")  # how model_forward names a sample's inputs


@dataclass
class BrokenGraph:
    graph: Graph
    node: GraphNode | None  # where it broke; None if this graph's numbers are all finite
    unmade: str = ""  # the operation that raised (its node was never made), e.g. "(out + -1.0) ** 2"


def broken_sample_graph(
    model: MLP,
    x: Sequence[float],
    y: float | None,
    loss: str,
    expanded: bool,
    tanh_as_exp: bool,
    parameter: str | None = None,
) -> BrokenGraph:
    """Sample (x, y)'s graph as `engine.graph.sample_graph` draws it, with the node where it broke.

    Raises the forward pass's error (ArithmeticError or ValueError) only when not even a part
    of the graph can be drawn (no Value was left to end it at).
    """
    unmade = ""
    try:
        root, kinds = sample_forward(model, x, y, loss, expanded, tanh_as_exp)
    except (ArithmeticError, ValueError) as exc:
        found = failed_op(exc, "forward")
        if found.culprit is None:
            raise
        root, kinds, unmade = found.culprit, _kinds_behind(found.culprit, model), found.node
        kinds.setdefault(root, "value")
    model.zero_grad()
    with contextlib.suppress(ArithmeticError, ValueError):  # grads as far as backward() got
        root.backward()
    graph = Graph(root, kinds, fold_parameters=not expanded)
    if unmade:
        return BrokenGraph(graph, graph.of(root), unmade)
    return BrokenGraph(graph, locate(graph, parameter))


def locate(graph: Graph, parameter: str | None = None) -> GraphNode | None:
    """The node where `graph` broke: the parameter named `parameter` (or the drawn neuron holding
    it), else the first non-finite data in topological order, else the first non-finite grad
    backward() reached. None if every number is finite."""
    if parameter:
        node = next((n for n in graph.nodes if n.name == parameter and n.kind in ("weight", "bias")), None)
        if node is not None and not graph.is_drawn(node):
            node = next((user for user in graph.nodes if node in graph.operands(user)), None)
        return node
    for node in graph.nodes:
        if not math.isfinite(node.value.data):
            return node
    for node in reversed(graph.nodes):
        if not math.isfinite(node.value.grad):
            return node
    return None


def _kinds_behind(root: Value, model: MLP) -> dict[Value, str]:
    """The kinds of the nodes behind `root`: the model's parameters, and the sample's inputs."""
    kinds = parameter_kinds(model)
    for v in topological_order(root):
        if not v.operands and v not in kinds and INPUT_LABEL.fullmatch(v.label):
            kinds[v] = "input"
    return kinds


def unmade_text(broken: BrokenGraph) -> str:
    """What the graph ends at, in words, when an operation could not make its node."""
    if not broken.unmade:
        return ""
    node = broken.node
    name = describe(node.value) if node is not None else "its operand"
    return f"{broken.unmade} was never computed, so it has no node: the graph ends at its operand, {name}."

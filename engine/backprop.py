"""backward(), one node at a time, as the lecture does it by hand: output first, each node's rule in turn.

`BackwardStepper` replays backward() with the engine's own rules on the graph's own
Values, so its grads are exactly backward()'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.graph import Graph, GraphNode
from engine.value import _BACKWARD


@dataclass
class BackwardStep:
    node: GraphNode
    upstream: float  # the node's grad when its rule runs: d(output)/d(node)
    contributions: list[tuple[GraphNode, float, float]]  # (operand, local derivative, grad added)


class BackwardStepper:
    """backward(), one node at a time, output first, each node after every node that uses it.

    Runs the engine's own backward rules on the graph's own Values, so after the
    last step every grad is exactly what backward() gives.
    """

    def __init__(self, graph: Graph):
        self.graph = graph
        self.order = list(reversed(graph.nodes))  # reverse topological: users before operands
        self.position = 0  # steps done
        self.reset()

    def reset(self) -> None:
        for node in self.graph.nodes:
            node.value.grad = 0.0
        self.graph.root.grad = 1.0
        self.position = 0

    @property
    def done(self) -> bool:
        return self.position >= len(self.order)

    def step(self) -> BackwardStep | None:
        if self.done:
            return None
        node = self.order[self.position]
        self.position += 1
        value = node.value
        locals_ = self.graph.local_derivatives(node)
        before = [operand.value.grad for operand, _ in locals_]
        if value.operands:
            _BACKWARD[value.op](value)
        contributions = [
            (operand, local, operand.value.grad - b) for (operand, local), b in zip(locals_, before)
        ]
        return BackwardStep(node, value.grad, contributions)

    def seek(self, position: int) -> BackwardStep | None:
        """Go to `position` steps done (replaying from the start); the last step taken, if any."""
        position = max(0, min(position, len(self.order)))
        self.reset()
        last = None
        while self.position < position:
            last = self.step()
        return last

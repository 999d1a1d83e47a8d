"""backward(), one node at a time, as the lecture does it by hand: output first, each node's rule in turn.

`BackwardStepper` replays backward() with the engine's own rules on the graph's own
Values, so its grads are exactly backward()'s.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.graph import Graph, GraphNode
from engine.value import BACKWARD_RULES


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
            BACKWARD_RULES[value.op](value)
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


class BackpropSession:
    """One graph's backprop as a graph tab shows it, without Qt.

    The graph, step-through (`BackwardStepper`), backward() called again without
    zero_grad (`backward_calls`), the node clicked (`selected`) and the node the
    details describe (`details_id`: the clicked one, or the current step's).
    """

    def __init__(self) -> None:
        self.graph: Graph | None = None
        self.stepper: BackwardStepper | None = None
        self.last_step: BackwardStep | None = None  # the step shown; None before the first
        self.backward_calls = 1  # backward() calls since the last zero_grad
        self.selected: str | None = None
        self.details_id: str | None = None
        self._users: dict[str, list[GraphNode]] | None = None

    # ---- the graph

    def show(self, graph: Graph | None) -> None:
        """Another graph: step-through ends, its grads are one backward()'s, nothing is selected."""
        self.graph = graph
        self._users = None
        self.stop_stepping()
        self.backward_calls = 1
        self.selected = self.details_id = None

    def renew(self, graph: Graph) -> None:
        """The same graph with new numbers: brought to the step, or the count of backward() calls, shown."""
        self.graph = graph
        self._users = None
        if self.stepper is not None:
            position = self.stepper.position
            self.stepper = BackwardStepper(graph)
            self.last_step = self.stepper.seek(position)
        else:
            for _ in range(self.backward_calls - 1):
                graph.root.backward()

    # ---- step-through

    @property
    def stepping(self) -> bool:
        return self.stepper is not None

    @property
    def position(self) -> int:
        """Nodes whose backward rule has run in step-through (0 outside it)."""
        return self.stepper.position if self.stepper is not None else 0

    @property
    def total(self) -> int:
        """Steps in step-through: one per node."""
        return len(self.graph) if self.graph is not None else 0

    @property
    def done(self) -> bool:
        """Step-through has run every node's rule."""
        return self.stepper is not None and self.stepper.done

    def start_stepping(self) -> None:
        """Every grad to 0 but the output's (1): backward() before its first step."""
        if self.graph is None:
            raise ValueError("there is no graph to step through")
        self.backward_calls = 1
        self.stepper = BackwardStepper(self.graph)
        self.last_step = None

    def stop_stepping(self) -> None:
        self.stepper = None
        self.last_step = None

    def step(self) -> bool:
        """Run the next node's backward rule (starting step-through if needed); False at the end."""
        if self.stepper is None:
            self.start_stepping()
        if self.stepper.done:
            return False
        self._show_step(self.stepper.step())
        return True

    def step_back(self) -> bool:
        """Undo the last step (replaying up to the one before); False if there is none."""
        if self.stepper is None or self.stepper.position == 0:
            return False
        self._show_step(self.stepper.seek(self.stepper.position - 1))
        return True

    def step_to_end(self) -> None:
        if self.stepper is None:
            self.start_stepping()
        self._show_step(self.stepper.seek(len(self.stepper.order)))

    def rewind_for_play(self) -> None:
        """Where Play starts: step-through's beginning, unless it is under way (and not at its end)."""
        if self.stepper is None:
            self.start_stepping()
        elif self.stepper.done:
            self._show_step(self.stepper.seek(0))

    def _show_step(self, step: BackwardStep | None) -> None:
        self.last_step = step
        if step is not None:
            self.details_id = step.node.id

    def reached(self, node: GraphNode) -> bool:
        """In step-through: whether this node's backward rule has run (outside it: always)."""
        if self.stepper is None or self.graph is None:
            return True
        return len(self.graph) - 1 - self.graph.nodes.index(node) < self.stepper.position

    # ---- backward() again, zero_grad

    def restore_backward(self) -> None:
        """zero_grad(), then one backward(): the grads as the graph was built (step-through ends)."""
        self.stop_stepping()
        if self.graph is None:
            return
        for node in self.graph.nodes:
            node.value.grad = 0.0
        self.graph.root.backward()
        self.backward_calls = 1

    def backward_again(self) -> None:
        """backward() once more without zero_grad(): every leaf adds the same gradient again."""
        if self.graph is None:
            return
        if self.stepper is not None:
            self.restore_backward()
        self.graph.root.backward()
        self.backward_calls += 1

    # ---- selection and highlights

    def select(self, node_id: str) -> bool:
        """The node clicked: outlined, and described; False if the graph has no such node."""
        if self.graph is None or not self.graph.has(node_id):
            return False
        self.selected = self.details_id = node_id
        return True

    @property
    def details_node(self) -> GraphNode | None:
        """The node the details describe, if it is in the graph."""
        if self.graph is None or not self.graph.has(self.details_id):
            return None
        return self.graph.node(self.details_id)

    @property
    def highlights(self) -> dict[str, str]:
        """Node id -> "current", "operand" or "selected": the outlines to draw."""
        styles = {}
        if self.selected is not None:
            styles[self.selected] = "selected"
        if self.last_step is not None:
            for operand, _local, _added in self.last_step.contributions:
                styles[operand.id] = "operand"
            styles[self.last_step.node.id] = "current"
        return styles

    def users_of(self, node: GraphNode) -> list[GraphNode]:
        """The nodes that use `node` as an operand (each once), in the graph's order."""
        if self.graph is None:
            return []
        if self._users is None:
            self._users = {}
            for user in self.graph.nodes:
                for operand in dict.fromkeys(self.graph.operands(user)):
                    self._users.setdefault(operand.id, []).append(user)
        return self._users.get(node.id, [])

"""The engine's numbers do not move: speed-ups must keep every data and grad equal (==).

The fingerprints were taken before backward() learned to skip nodes whose grad is 0
(and dead ReLU neurons): the float.hex of every parameter's data and grad and every
loss of four training runs, and of every node of 200 random graphs, hashed.
"""

import math

from engine import Value
from tests.engine.pinned_numbers import fingerprint

PINNED = {
    "lecture": "5a2b8c1c50cecd96",
    "moons": "51b06e849e064b8d",
    "moons_no_zero_grad": "f81a00244463b04f",
    "sigmoid_bce": "c03db7e1a03266d1",
    "random_graphs": "a1b7b2e2fcf08265",
}


def test_training_runs_and_random_graphs_give_the_pinned_numbers():
    assert fingerprint() == PINNED


def test_a_node_whose_grad_is_zero_passes_nothing_back_even_past_an_infinite_local_derivative():
    """The one place skipping zeros differs from PyTorch: there 0 × inf makes a's grad NaN."""
    a = Value(2.0)
    product = a * Value(math.inf)  # ∂product/∂a = inf
    out = product.tanh()  # tanh(inf) = 1: its local derivative is 1 - 1² = 0
    out.backward()
    assert product.grad == 0.0 and a.grad == 0.0


def test_the_compilers_walk_gives_the_same_order_as_topological_order():
    """engine.neuron's walk (each shared tuple of inputs once) lists the same nodes, in the same order."""
    from engine import MLP
    from engine.data import moons
    from engine.losses import hinge
    from engine.neuron import topological_order_by_parts
    from engine.value import topological_order

    model = MLP(2, [5, 4, 1], activation="relu", output_activation="tanh", seed=2)
    data = moons(12, 0.1, 0)
    loss = hinge([model.layered(x) for x in data.inputs], data.targets)  # the graph the compiler walks
    assert topological_order_by_parts(loss) == topological_order(loss)
    a, b = Value(0.5), Value(-1.5)
    expression = ((a * b).tanh() + a) * (b + 1.0).relu()
    assert topological_order_by_parts(expression) == topological_order(expression)


def test_an_off_relu_neuron_fed_infinity_passes_nothing_back_fused_or_expanded():
    """w · inf with the ReLU off: PyTorch's w.grad would be inf × 0 = NaN; ours is 0, in both forms."""
    from engine.neuron import expand_neuron, neuron

    for build in (lambda n: n, expand_neuron):
        w, b, x = Value(2.0), Value(0.5), Value(-math.inf)
        out = build(neuron([w], [x], b, "relu"))
        assert out.data == 0.0
        (out * 3.0).backward()
        assert (w.grad, b.grad, x.grad) == (0.0, 0.0, 0.0)

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


def test_a_neuron_node_sets_every_slot_value_init_sets():
    """engine/neuron.py fills a neuron node's slots itself (no __init__ call): none may be left unset."""
    from engine.neuron import neuron_node

    w, b, x = [Value(0.5), Value(-2.0)], Value(0.25), (Value(1.0), Value(3.0))
    node = neuron_node(w, x, b, "neuron:relu", [1.0, 3.0])
    for slot in Value.__slots__:
        assert hasattr(node, slot), slot
    made = Value(1.0, x, "neuron:relu")
    assert (node.grad, node.label, node.exponent) == (0.0, "", None) and node._seq < made._seq
    assert node.operands == (*x, b, *w) and node.n_inputs == 2

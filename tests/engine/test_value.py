"""Tests for engine/value.py: every op against PyTorch float64 and finite differences,
karpathy's own micrograd tests, random expression graphs, node reuse, deep graphs,
and the fused neuron node against the lecture's expanded form, bit for bit."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from engine.neuron import NEURON_OPS, expand_neuron
from engine.value import Value, topological_order
from tests.engine.helpers import (
    FD_STEP,
    check_against_finite_differences,
    check_against_torch,
    finite_differences,
    mismatch,
    neuron,
    zero_all,
)

ACTIVATIONS = [op.split(":")[1] for op in NEURON_OPS]
EXACT = 0.0  # IEEE + - * are correctly rounded in both engines: not one bit may differ
CLOSE = 1e-12  # transcendental functions, pow and division may differ by an ulp or so

# ---------------------------------------------------------------- every op, one line each

# (name, expression, inputs, tolerance against torch). The same line is checked
# against PyTorch float64 and against central finite differences.
OPS: list[tuple[str, Callable, list[float], float]] = [
    ("a + b", lambda a, b: a + b, [1.5, -2.25], EXACT),
    ("a + 3", lambda a: a + 3, [1.5], EXACT),
    ("2 + a", lambda a: 2 + a, [-0.75], EXACT),
    ("a - b", lambda a, b: a - b, [1.5, -2.25], EXACT),
    ("a - 0.5", lambda a: a - 0.5, [0.3], EXACT),
    ("1 - a", lambda a: 1 - a, [0.3], EXACT),
    ("a * b", lambda a, b: a * b, [1.5, -2.25], EXACT),
    ("a * -3", lambda a: a * -3, [0.7], EXACT),
    ("2 * a", lambda a: 2 * a, [0.7], EXACT),
    ("-a", lambda a: -a, [0.7], EXACT),
    ("a / b", lambda a, b: a / b, [1.5, -2.25], CLOSE),
    ("a / 4", lambda a: a / 4, [0.7], CLOSE),
    ("1 / a", lambda a: 1 / a, [0.7], CLOSE),
    ("1 / a, a < 0", lambda a: 1 / a, [-3.1], CLOSE),
    ("a ** 2", lambda a: a**2, [-1.3], CLOSE),
    ("a ** 3", lambda a: a**3, [-1.3], CLOSE),
    ("a ** 1", lambda a: a**1, [0.4], CLOSE),
    ("a ** 0", lambda a: a**0, [2.5], CLOSE),
    ("a ** -1", lambda a: a**-1, [0.8], CLOSE),
    ("a ** -2, a < 0", lambda a: a**-2, [-0.8], CLOSE),
    ("a ** 0.5", lambda a: a**0.5, [2.0], CLOSE),
    ("a ** -0.5", lambda a: a**-0.5, [0.3], CLOSE),
    ("a ** 1.5", lambda a: a**1.5, [1.7], CLOSE),
    ("a ** -1.5", lambda a: a**-1.5, [1.7], CLOSE),
    ("a ** 2.0, a < 0", lambda a: a**2.0, [-1.7], CLOSE),
    ("tanh", lambda a: a.tanh(), [0.8], CLOSE),
    ("tanh(0)", lambda a: a.tanh(), [0.0], CLOSE),
    ("tanh, a < 0", lambda a: a.tanh(), [-2.5], CLOSE),
    ("tanh, saturated", lambda a: a.tanh(), [12.0], CLOSE),
    ("exp", lambda a: a.exp(), [1.2], CLOSE),
    ("exp, a < 0", lambda a: a.exp(), [-3.0], CLOSE),
    ("log", lambda a: a.log(), [0.3], CLOSE),
    ("log, a > 1", lambda a: a.log(), [7.5], CLOSE),
    ("relu, a > 0", lambda a: a.relu(), [1.3], EXACT),
    ("relu, a < 0", lambda a: a.relu(), [-0.4], EXACT),
    ("sigmoid", lambda a: a.sigmoid(), [0.0], CLOSE),
    ("sigmoid, a > 0", lambda a: a.sigmoid(), [2.0], CLOSE),
    ("sigmoid, a < 0", lambda a: a.sigmoid(), [-3.0], CLOSE),
    ("sigmoid, a << 0", lambda a: a.sigmoid(), [-40.0], CLOSE),
    ("sigmoid, a = -1000 (no overflow)", lambda a: a.sigmoid(), [-1000.0], CLOSE),
    ("sigmoid, a = 1000", lambda a: a.sigmoid(), [1000.0], CLOSE),
    ("a + a", lambda a: a + a, [0.7], EXACT),
    ("a * a", lambda a: a * a, [-0.7], EXACT),
    ("a / a", lambda a: a / a, [0.7], CLOSE),
    ("a * b + a", lambda a, b: a * b + a, [0.7, -1.1], EXACT),
    # the lecture's first neuron: o = tanh(x1*w1 + x2*w2 + b)
    (
        "lecture neuron",
        lambda x1, x2, w1, w2, b: (x1 * w1 + x2 * w2 + b).tanh(),
        [2.0, 0.0, -3.0, 1.0, 6.8813735870195432],
        CLOSE,
    ),
    *(
        (
            f"neuron:{act}",
            lambda w1, w2, x1, x2, b, act=act: neuron([w1, w2], [x1, x2], b, act),
            [0.5, -1.25, 1.5, 0.75, 0.3],
            CLOSE,
        )
        for act in ACTIVATIONS
    ),
    *(
        (
            f"neuron:{act}, interior inputs",
            lambda w1, w2, a, c, b, act=act: neuron([w1, w2], [a.tanh(), a * c], b, act),
            [0.5, -1.25, 1.5, 0.75, 0.3],
            CLOSE,
        )
        for act in ACTIVATIONS
    ),
    ("neuron:relu, inactive", lambda w, x, b: neuron([w], [x], b, "relu"), [0.5, -1.5, 0.3], CLOSE),
]
OP_PARAMS = [pytest.param(fn, inputs, tol, id=name) for name, fn, inputs, tol in OPS]


@pytest.mark.parametrize(("fn", "inputs", "tol"), OP_PARAMS)
def test_op_matches_torch_float64(fn, inputs, tol):
    check_against_torch(fn, inputs, tol)


@pytest.mark.parametrize(("fn", "inputs", "tol"), OP_PARAMS)
def test_op_gradient_matches_finite_differences(fn, inputs, tol):
    check_against_finite_differences(fn, inputs)


def test_lecture_neuron_gradients_are_the_lectures():
    x1, x2, w1, w2, b = (Value(v) for v in (2.0, 0.0, -3.0, 1.0, 6.8813735870195432))
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.backward()
    assert o.data == pytest.approx(math.sqrt(0.5), abs=1e-12)
    assert [x1.grad, w1.grad, x2.grad, w2.grad] == pytest.approx([-1.5, 1.0, 0.5, 0.0], abs=1e-12)


def test_the_checks_can_fail():
    # Our side computes a * (a constant equal to a): right value, half the true gradient.
    def wrong(a):
        return a * a.data if isinstance(a, Value) else a * a

    with pytest.raises(AssertionError, match="grad of input 0"):
        check_against_finite_differences(wrong, [0.7])
    pytest.importorskip("torch")
    with pytest.raises(AssertionError, match="grad of input 0"):
        check_against_torch(wrong, [0.7])


def test_unsupported_powers_raise():
    with pytest.raises(TypeError, match="exponents"):
        Value(2.0) ** Value(3.0)
    with pytest.raises(ValueError, match="not a real number"):
        Value(-8.0) ** 0.5


# ---------------------------------------------------------------- karpathy's micrograd tests


# micrograd's test/test_engine.py, with only the import changed to our Value.
def test_sanity_check():
    torch = pytest.importorskip("torch")

    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xmg, ymg = x, y

    x = torch.Tensor([-4.0]).double()
    x.requires_grad = True
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    xpt, ypt = x, y

    # forward pass went well
    assert ymg.data == ypt.data.item()
    # backward pass went well
    assert xmg.grad == xpt.grad.item()


def test_more_ops():
    torch = pytest.importorskip("torch")

    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    amg, bmg, gmg = a, b, g

    a = torch.Tensor([-4.0]).double()
    b = torch.Tensor([2.0]).double()
    a.requires_grad = True
    b.requires_grad = True
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    apt, bpt, gpt = a, b, g

    tol = 1e-6
    # forward pass went well
    assert abs(gmg.data - gpt.data.item()) < tol
    # backward pass went well
    assert abs(amg.grad - apt.grad.item()) < tol
    assert abs(bmg.grad - bpt.grad.item()) < tol


# The same two expressions, written against any Value class, for micrograd 0.1.0 itself.
def sanity_expression(V):
    x = V(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    return y, [x]


def more_ops_expression(V):
    a, b = V(-4.0), V(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g, [a, b]


@pytest.mark.parametrize(
    ("expression", "want_data", "want_grads"),
    [
        (sanity_expression, -20.0, [46.0]),
        # the numbers micrograd's README prints for this expression
        (more_ops_expression, 24.70408163265306, [138.83381924198252, 645.5772594752186]),
    ],
    ids=["sanity_check", "more_ops"],
)
def test_karpathys_expressions_agree_with_micrograd(expression, want_data, want_grads):
    micrograd_engine = pytest.importorskip("micrograd.engine")
    theirs, their_leaves = expression(micrograd_engine.Value)
    theirs.backward()
    mine, my_leaves = expression(Value)
    mine.backward()

    assert mine.data == theirs.data
    # micrograd walks a set of children, so its order of adding up a reused node's
    # gradient may differ from ours by an ulp
    assert [v.grad for v in my_leaves] == pytest.approx([v.grad for v in their_leaves], rel=1e-15)
    assert mine.data == pytest.approx(want_data, rel=1e-15)
    assert [v.grad for v in my_leaves] == pytest.approx(want_grads, rel=1e-15)


# ---------------------------------------------------------------- random expression graphs

# Each op is written once and runs on Values and on torch tensors alike. Operands are
# mapped into the op's domain (log of something >= 0.1, a power of something >= 0.25,
# a denominator >= 0.5), which also reuses the operand inside the op.
UNARY: dict[str, Callable] = {
    "-a": lambda a: -a,
    "a + 0.75": lambda a: a + 0.75,
    "2.5 + a": lambda a: 2.5 + a,
    "a - 2": lambda a: a - 2,
    "1 - a": lambda a: 1 - a,
    "a * 0.5": lambda a: a * 0.5,
    "-1.5 * a": lambda a: -1.5 * a,
    "a / 3": lambda a: a / 3,
    "1 / (a*a + 0.5)": lambda a: 1 / (a * a + 0.5),
    "a ** 2": lambda a: a**2,
    "a ** 3": lambda a: a**3,
    "(a*a + 0.5) ** -2": lambda a: (a * a + 0.5) ** -2,
    "(a*a + 0.25) ** 0.5": lambda a: (a * a + 0.25) ** 0.5,
    "(a*a + 0.25) ** -1.5": lambda a: (a * a + 0.25) ** -1.5,
    "tanh": lambda a: a.tanh(),
    "exp": lambda a: a.exp(),
    "log(a*a + 0.1)": lambda a: (a * a + 0.1).log(),
    "relu": lambda a: a.relu(),
    "sigmoid": lambda a: a.sigmoid(),
}
BINARY: dict[str, Callable] = {
    "a + b": lambda a, b: a + b,
    "a - b": lambda a, b: a - b,
    "a * b": lambda a, b: a * b,
    "a / (b*b + 0.5)": lambda a, b: a / (b * b + 0.5),
}
MAX_MAGNITUDE = 1e6  # keeps finite differences meaningful and exp() from overflowing


@st.composite
def programs(draw):
    """Leaf values, then steps that each make a node from earlier nodes (often the same one twice)."""
    leaves = draw(st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=4))
    n_nodes, steps = len(leaves), []
    for _ in range(draw(st.integers(1, 10))):
        node = st.integers(0, n_nodes - 1)
        kind = draw(st.sampled_from(["unary", "unary", "binary", "binary", "neuron"]))
        if kind == "unary":
            steps.append(("unary", draw(st.sampled_from(sorted(UNARY))), draw(node)))
        elif kind == "binary":
            steps.append(("binary", draw(st.sampled_from(sorted(BINARY))), draw(node), draw(node)))
        else:  # weights and bias must be leaves; inputs may be any node, leaves included
            k = draw(st.integers(1, 3))
            leaf = st.integers(0, len(leaves) - 1)
            inputs = draw(st.lists(node, min_size=k, max_size=k))
            weights = draw(st.lists(leaf, min_size=k, max_size=k))
            steps.append(("neuron", draw(st.sampled_from(ACTIVATIONS)), inputs, weights, draw(leaf)))
        n_nodes += 1
    return leaves, steps


def run_program(steps, leaves, kinks: list | None = None):
    """Build the program's graph over `leaves`; the root adds up every node nothing else uses.

    With `kinks`, also records the input of every relu (where the function has a kink).
    """
    nodes, used = list(leaves), set()
    for step in steps:
        if step[0] == "unary":
            _, name, i = step
            if kinks is not None and name == "relu":
                kinks.append(nodes[i].data)
            nodes.append(UNARY[name](nodes[i]))
            used.add(i)
        elif step[0] == "binary":
            _, name, i, j = step
            nodes.append(BINARY[name](nodes[i], nodes[j]))
            used.update((i, j))
        else:
            _, act, inputs, weights, bias = step
            xs, ws, b = [nodes[i] for i in inputs], [leaves[i] for i in weights], leaves[bias]
            if kinks is not None and act == "relu":
                kinks.append(b.data + sum(w.data * x.data for w, x in zip(ws, xs)))
            nodes.append(neuron(ws, xs, b, act))
            used.update(inputs)
    root = nodes[-1]
    for i in range(len(leaves), len(nodes) - 1):
        if i not in used:
            root = root + nodes[i]
    return root


def build_ours(program) -> tuple[Value, list[Value], list[float]]:
    """Our graph for the program, its leaves, and its relu inputs; rejects examples that overflow."""
    values, steps = program
    leaves, kinks = [Value(x) for x in values], []
    try:
        root = run_program(steps, leaves, kinks)
    except OverflowError:
        reject()
    if not all(abs(node.data) <= MAX_MAGNITUDE for node in topological_order(root)):
        reject()
    return root, leaves, kinks


@settings(max_examples=100, deadline=None)
@given(programs())
def test_random_graph_matches_torch_float64(program):
    torch = pytest.importorskip("torch")
    root, leaves, kinks = build_ours(program)
    if any(abs(k) < 1e-9 for k in kinks):
        reject()  # so close to a kink that an ulp of difference could pick the other side
    root.backward()

    values, steps = program
    t_leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in values]
    t_root = run_program(steps, t_leaves)
    t_root.backward()

    assert mismatch(root.data, t_root.item(), 1e-9) <= 1, (root.data, t_root.item())
    for i, (leaf, t_leaf) in enumerate(zip(leaves, t_leaves)):
        want = 0.0 if t_leaf.grad is None else t_leaf.grad.item()
        assert mismatch(leaf.grad, want, 1e-9) <= 1, (i, leaf.grad, want)


class _CrossedKink(Exception):
    pass


@settings(max_examples=100, deadline=None)
@given(programs())
def test_random_graph_gradient_matches_finite_differences(program):
    root, leaves, kinks = build_ours(program)
    root.backward()
    values, steps = program
    sides = [k > 0 for k in kinks]

    def forward(xs: list[float]) -> float:
        moved_kinks: list[float] = []
        out = run_program(steps, [Value(x) for x in xs], moved_kinks)
        if [k > 0 for k in moved_kinks] != sides:
            raise _CrossedKink  # a relu changed sides within the step: no derivative to compare
        return out.data

    try:
        numeric = finite_differences(forward, values)
        halved = finite_differences(forward, values, FD_STEP / 2)
    except (_CrossedKink, OverflowError):
        reject()
    if any(mismatch(a, b, 1e-7) > 1 for a, b in zip(numeric, halved)):
        reject()  # the function curves so hard here that the difference quotient has not converged
    for i, (leaf, want) in enumerate(zip(leaves, numeric)):
        assert mismatch(leaf.grad, want, 1e-6) <= 1, (i, leaf.grad, want)


# ---------------------------------------------------------------- node reuse and accumulation


def test_a_node_used_twice_gets_both_gradients():
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0  # the lecture's bug: with `=` instead of `+=` this is 1

    a = Value(3.0)
    b = a * a
    b.backward()
    assert a.grad == 6.0


def test_a_node_used_in_many_places_gets_every_gradient():
    a, b = Value(-2.0), Value(3.0)
    d = a * b
    e = a + b
    f = d * e  # f = (a*b)(a+b): df/da = b(a+b) + ab = 3 - 6, df/db = a(a+b) + ab = -2 - 6
    f.backward()
    assert (a.grad, b.grad) == (-3.0, -8.0)


@pytest.mark.parametrize(
    "expression", [lambda a: a + a, lambda a: a * a, lambda a: (a * 3.0) * a], ids=["a+a", "a*a", "(a*3)*a"]
)
def test_gradients_accumulate_over_two_backward_calls_until_zeroed(expression):
    a = Value(3.0)
    out = expression(a)
    out.backward()
    once = a.grad
    assert once != 0.0
    out.backward()
    assert a.grad == 2 * once
    a.grad = 0.0
    expression(a).backward()
    assert a.grad == once


def test_second_backward_through_interior_nodes_doubles_leaf_grads():
    x = Value(2.0)
    y = x * 3
    z = y * y
    z.backward()
    assert (x.grad, y.grad) == (36.0, 12.0)
    z.backward()
    # as in torch (retain_graph=True); micrograd gives 108: it starts the second pass with y.grad = 12
    assert (x.grad, y.grad) == (72.0, 12.0)
    x.grad = 0.0  # zero_grad() on the same graph, then backward() again: the first result
    z.backward()
    assert (x.grad, y.grad) == (36.0, 12.0)


def test_a_node_left_at_zero_by_one_backward_is_walked_by_the_next_from_another_root():
    # backward() marks a node it has collected by the 0.0 it sets its grad to; h below keeps that
    # 0.0 (its only consumer passes nothing back), and a later backward() from another root must
    # still collect h and pass its gradient on to x and w.
    x, w = Value(-1.0), Value(2.0)
    h = x * w
    first = h.relu() * 0.0
    first.backward()
    assert (h.grad, x.grad, w.grad) == (0.0, 0.0, 0.0)
    second = h * 3.0
    second.backward()
    assert (h.grad, x.grad, w.grad) == (3.0, 6.0, -3.0)
    second.backward()  # and again from the same root: the leaves' grads accumulate, h's restarts
    assert (h.grad, x.grad, w.grad) == (3.0, 12.0, -6.0)


# ---------------------------------------------------------------- deep graphs: no recursion

CHAIN = 100_000


def test_backward_through_a_100k_add_chain_does_not_recurse():
    x0 = Value(0.0)
    x = x0
    for _ in range(CHAIN):
        x = x + 1
    x.backward()
    assert x.data == CHAIN
    assert x0.grad == 1.0


def test_backward_through_a_100k_mul_chain_does_not_recurse():
    x0 = Value(1.0)
    x = x0
    for _ in range(CHAIN):
        x = x * 1.0001
    x.backward()
    # both are 1.0001 multiplied into 1.0 a hundred thousand times, in the same order
    assert x0.grad == x.data
    assert x.data == pytest.approx(1.0001**CHAIN, rel=1e-9)


def test_topological_order_of_a_100k_chain():
    x0 = Value(0.0)
    x = x0
    for _ in range(CHAIN):
        x = x + 1
    order = topological_order(x)
    assert len(order) == 2 * CHAIN + 1  # the chain plus one constant per step
    assert order[-1] is x
    position = {id(node): i for i, node in enumerate(order)}
    assert all(position[id(child)] < position[id(node)] for node in order for child in node._prev)


def test_topological_order_lists_every_node_once_operands_first():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert len(order) == len({id(n) for n in order}) == 5
    assert {id(n) for n in order} == {id(n) for n in (a, b, c, d, e)}
    position = {id(node): i for i, node in enumerate(order)}
    assert all(position[id(child)] < position[id(node)] for node in order for child in node._prev)


# ---------------------------------------------------------------- fused neuron vs the lecture's form


def expanded(weights, inputs, bias, activation):
    """The lecture's Neuron.__call__: sum((wi*xi for ...), b), then the activation."""
    total = sum((w * x for w, x in zip(weights, inputs)), bias)
    return total if activation == "linear" else getattr(total, activation)()


INPUT_KINDS = {
    # name: the neuron's inputs, made from leaves a and c (which the root uses again)
    "leaves": lambda a, c: [a, c, 0.25],
    "interior": lambda a, c: [a * c, a.tanh(), (c + 1.0).sigmoid()],
    "mixed": lambda a, c: [a, (a - c).relu(), 2.0],
}


def fused_and_expanded_grads(activation, kind, values, make_neuron):
    """Data and grads of the root over one neuron, built fused and then by `make_neuron`,
    on the same leaves (every grad zeroed in between)."""
    a, c, b = Value(values[0]), Value(values[1]), Value(values[2])
    ws = [Value(v) for v in values[3:6]]
    xs = INPUT_KINDS[kind](a, c)
    watched = [a, c, b, *ws, *(x for x in xs if isinstance(x, Value))]
    results = []
    for make in (lambda: Value.neuron(ws, xs, b, activation), lambda: make_neuron(ws, xs, b, activation)):
        n = make()
        root = n * a + n.tanh() - c  # reuses a and c after the neuron
        root.backward()
        results.append(([n.data, root.data], [v.grad for v in watched]))
        zero_all(root)
    return results


NEURON_VALUES = [0.7, -1.3, 0.2, -0.9, -0.4, 1.1]  # a, c, b, w1..w3: every relu is active


@pytest.mark.parametrize("kind", sorted(INPUT_KINDS))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_fused_neuron_equals_expanded_bit_for_bit(activation, kind):
    (fused_data, fused_grads), (exp_data, exp_grads) = fused_and_expanded_grads(
        activation, kind, NEURON_VALUES, expanded
    )
    assert fused_data == exp_data
    assert fused_grads == exp_grads
    assert any(g != 0.0 for g in fused_grads[3:6])  # the weights really got gradients


@pytest.mark.parametrize("kind", sorted(INPUT_KINDS))
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_expand_neuron_equals_the_neuron_bit_for_bit(activation, kind):
    (fused_data, fused_grads), (exp_data, exp_grads) = fused_and_expanded_grads(
        activation, kind, NEURON_VALUES, lambda ws, xs, b, act: expand_neuron(Value.neuron(ws, xs, b, act))
    )
    assert fused_data == exp_data
    assert fused_grads == exp_grads


@settings(max_examples=100, deadline=None)
@given(
    activation=st.sampled_from(ACTIVATIONS),
    kind=st.sampled_from(sorted(INPUT_KINDS)),
    values=st.lists(st.floats(-3, 3, allow_nan=False), min_size=6, max_size=6),
)
def test_fused_neuron_equals_expanded_for_any_values(activation, kind, values):
    (fused_data, fused_grads), (exp_data, exp_grads) = fused_and_expanded_grads(
        activation, kind, values, expanded
    )
    assert fused_data == exp_data
    assert fused_grads == exp_grads
    _, (expand_data, expand_grads) = fused_and_expanded_grads(
        activation, kind, values, lambda ws, xs, b, act: expand_neuron(Value.neuron(ws, xs, b, act))
    )
    assert expand_data == fused_data
    assert expand_grads == fused_grads


def neuron_with_reuse(case: str):
    """(weights, inputs, bias, root-builder) for a neuron that reuses a leaf."""
    x, y = Value(0.7), Value(-0.3)
    ws = [Value(0.9), Value(-0.4), Value(1.1)]
    b = Value(0.2)
    if case == "input leaf twice":
        return ws, [x, y, x], b, lambda n: n * 1.5
    if case == "weight leaf as an input":
        return ws, [ws[0], y, x], b, lambda n: n * x
    if case == "bias as an input":
        return ws, [b, y, x], b, lambda n: n + y
    # x once in the neuron and also before and after it
    return ws, [x * y, y, x], b, lambda n: n * x + y


@pytest.mark.parametrize(
    "case", ["input leaf twice", "weight leaf as an input", "bias as an input", "leaf used elsewhere too"]
)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_fused_neuron_equals_expanded_when_a_leaf_is_reused(activation, case):
    results = []
    for make in (Value.neuron, expanded):
        ws, xs, b, finish = neuron_with_reuse(case)
        root = finish(make(ws, xs, b, activation))
        root.backward()
        leaves = [v for v in topological_order(root) if not v._prev]
        results.append((root.data, [v.grad for v in leaves]))
    assert results[0] == results[1]


@pytest.mark.parametrize("case", ["three times in one neuron", "twice in one neuron and once elsewhere"])
def test_fused_neuron_equals_expanded_when_a_leaf_gets_three_contributions(case):
    # Contributions of 1, 2^-53 and 2^-52 make the order of adding them up visible:
    # (1 + 2^-53) + 2^-52 rounds to 1 + 2^-52, but (1 + 2^-52) + 2^-53 to 1 + 2^-51.
    grads = []
    for make in (Value.neuron, expanded):
        x = Value(1.0)
        if case == "three times in one neuron":
            root = make([Value(1.0), Value(2.0**-53), Value(2.0**-52)], [x, x, x], Value(0.0), "linear")
        else:
            root = make([Value(2.0**-53), Value(2.0**-52)], [x, x], Value(0.0), "linear") + x
        root.backward()
        grads.append(x.grad)
    assert grads[0] == grads[1]


@st.composite
def neurons_with_reuse(draw):
    """A neuron whose inputs, weights and bias are drawn, with repeats, from a few leaves and interior
    nodes (weights and bias from the leaves only), and a root that uses some of them again."""
    values = draw(st.lists(st.floats(-3, 3, allow_nan=False), min_size=5, max_size=5))
    k = draw(st.integers(1, 4))
    pick = st.integers(0, 6)  # 0-4: leaves, 5: leaf0 * leaf1, 6: tanh(leaf2)
    inputs = draw(st.lists(pick, min_size=k, max_size=k))
    weights = draw(st.lists(st.integers(0, 4), min_size=k, max_size=k))
    return values, inputs, weights, draw(st.integers(0, 4)), draw(st.sampled_from(ACTIVATIONS))


@settings(max_examples=100, deadline=None)
@given(neurons_with_reuse())
def test_fused_neuron_equals_expanded_with_any_reuse(case):
    values, inputs, weights, bias, activation = case
    results = []
    for make in (
        Value.neuron,
        expanded,
        lambda ws, xs, b, act: expand_neuron(Value.neuron(ws, xs, b, act)),
    ):
        leaves = [Value(v) for v in values]
        nodes = [*leaves, leaves[0] * leaves[1], leaves[2].tanh()]
        n = make([leaves[i] for i in weights], [nodes[i] for i in inputs], leaves[bias], activation)
        root = n * leaves[0] + leaves[3] * n.tanh() - leaves[4]
        root.backward()
        results.append([n.data, root.data, *(v.grad for v in nodes)])
    assert results[0] == results[1] == results[2]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_a_neuron_without_inputs_is_its_bias_activated(activation):
    results = []
    for make in (Value.neuron, expanded):
        b = Value(0.5)
        n = make([], [], b, activation)
        (n * n).backward()
        results.append((n.data, b.grad))
    assert results[0] == results[1]


def test_neuron_rejects_bad_arguments():
    w, x, b = [Value(1.0)], [Value(2.0)], Value(0.0)
    with pytest.raises(ValueError, match="1 weights but 2 inputs"):
        Value.neuron(w, [*x, *x], b)
    with pytest.raises(ValueError, match="leaf"):
        Value.neuron([w[0] * 2], x, b)
    with pytest.raises(ValueError, match="leaf"):
        Value.neuron(w, x, b + 1)
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        Value.neuron(w, x, b, "swish")
    with pytest.raises(ValueError, match="not a neuron node"):
        expand_neuron(x[0] * 2)


NOT_NUMBERS = ["2", None, [1.0], {"a": 1}, 1j, b"2"]
BINARY_OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


@pytest.mark.parametrize("other", NOT_NUMBERS, ids=repr)
@pytest.mark.parametrize("op", BINARY_OPS)
def test_a_value_and_a_non_number_raise_type_error_both_ways_round(op, other):
    # micrograd and PyTorch raise TypeError; float("2") must not turn Value(1) + "2" into 3
    fn = BINARY_OPS[op]
    with pytest.raises(TypeError):
        fn(Value(1.0), other)
    with pytest.raises(TypeError):
        fn(other, Value(1.0))


@pytest.mark.parametrize("other", NOT_NUMBERS, ids=repr)
def test_a_value_holds_only_real_numbers(other):
    with pytest.raises(TypeError, match="a Value holds a real number"):
        Value(other)


def test_bools_and_other_real_numbers_still_combine_like_numbers():
    from fractions import Fraction

    assert (Value(1.0) + True).data == 2.0  # as in micrograd and PyTorch
    assert (Value(2.0) * Fraction(1, 2)).data == 1.0
    assert isinstance((Value(1) + 2).data, float)


@pytest.mark.parametrize("x", [0.0, 2.0, -3.0])
def test_the_derivative_of_x_to_the_zero_is_zero_even_at_zero(x):
    a = Value(x)
    out = a**0
    out.backward()
    assert out.data == 1.0 and a.grad == 0.0


def test_public_accessors_describe_the_node_read_only():
    a, b = Value(2.0), Value(3.0)
    c = a * b
    p = a**3
    assert c.operands == (a, b) and c.op == "*" and c.exponent is None
    assert p.operands == (a,) and p.op == "**" and p.exponent == 3
    assert a.operands == () and a.op == "" and a.exponent is None
    with pytest.raises(AttributeError):
        c.op = "+"

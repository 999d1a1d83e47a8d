"""Tests for engine/expression.py: the lecture's examples typed as text, every allowed operation
against the same graph built by hand, PyTorch agreement, variable parsing, and hostile input
refused with a fitting message (how fast: benchmarks/bench_inputs.py)."""

from __future__ import annotations

import ast
import math
import re
import string
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import expression as expr_module
from engine.expression import (
    FUNCTIONS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    ExpressionError,
    evaluate,
    parse_variables,
    to_torch,
)
from engine.value import Value, topological_order

ABC = {"a": 2.0, "b": -3.0, "c": 10.0}


def grads(leaves: dict[str, Value]) -> dict[str, float]:
    return {name: leaf.grad for name, leaf in leaves.items()}


def run(expression: str, variables: dict | None = None) -> tuple[Value, dict[str, Value]]:
    root, leaves = evaluate(expression, ABC if variables is None else variables)
    root.backward()
    return root, leaves


def refuse(expression: str, match: str, variables: dict | None = None) -> ExpressionError:
    """Assert that `expression` is refused with a message matching `match`."""
    with pytest.raises(ExpressionError, match=match) as info:
        evaluate(expression, ABC if variables is None else variables)
    return info.value


def close(actual: float, expected: float, tol: float = 1e-12) -> bool:
    return abs(actual - expected) <= tol * max(1.0, abs(expected))


# ---------------------------------------------------------------- the lecture, typed in


def test_lecture_first_example():
    # e = a*b; d = e + c; L = d*f
    root, leaves = run("(a*b + c) * f", {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0})
    assert root.data == -8.0
    assert grads(leaves) == {"a": 6.0, "b": -4.0, "c": -2.0, "f": 4.0}


def test_lecture_neuron():
    variables = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
    root, leaves = run("(x1*w1 + x2*w2 + b).tanh()", variables)
    assert root.data == pytest.approx(math.sqrt(0.5), rel=1e-12)
    g = grads(leaves)
    assert g["x1"] == pytest.approx(-1.5, rel=1e-12)
    assert g["w1"] == pytest.approx(1.0, rel=1e-12)
    assert g["x2"] == pytest.approx(0.5, rel=1e-12)
    assert g["w2"] == 0.0
    assert g["b"] == pytest.approx(0.5, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "expected_grad"), [("a*a", 4.0), ("a + a", 2.0), ("a*a*a", 12.0), ("a*b + a", -2.0)]
)
def test_a_variable_used_twice_is_one_leaf_and_gets_both_contributions(text, expected_grad):
    root, leaves = run(text)
    assert leaves["a"].grad == expected_grad
    graph_leaves = [node for node in topological_order(root) if not node.operands]
    assert sum(node is leaves["a"] for node in graph_leaves) == 1
    assert sum(node.label == "a" for node in graph_leaves) == 1


def test_unused_variables_are_returned_with_zero_grad():
    root, leaves = run("a * 2")
    assert set(leaves) == {"a", "b", "c"}
    assert (leaves["b"].grad, leaves["c"].grad) == (0.0, 0.0)


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_and_method_forms_are_equal(function):
    as_function, leaves_f = run(f"{function}(a*b + c)")
    as_method, leaves_m = run(f"(a*b + c).{function}()")
    assert as_function.data == as_method.data
    assert grads(leaves_f) == grads(leaves_m)
    assert as_function.op == as_method.op == function


# ---------------------------------------------------------------- every allowed op == the engine by hand

HAND = [
    ("a + b", lambda a, b, c: a + b),
    ("a - b", lambda a, b, c: a - b),
    ("a * b", lambda a, b, c: a * b),
    ("a / b", lambda a, b, c: a / b),
    ("a ** 2", lambda a, b, c: a**2),
    ("c ** -1.5", lambda a, b, c: c**-1.5),
    ("a ** 0.5", lambda a, b, c: a**0.5),
    ("b ** 3", lambda a, b, c: b**3),
    ("-a", lambda a, b, c: -a),
    ("+a * b", lambda a, b, c: a * b),
    ("-a + 1", lambda a, b, c: -a + 1),
    ("2 * a", lambda a, b, c: 2 * a),
    ("a * -3", lambda a, b, c: a * -3),
    ("1 - a", lambda a, b, c: 1 - a),
    ("3 / c", lambda a, b, c: 3 / c),
    ("a / 2", lambda a, b, c: a / 2),
    ("tanh(a)", lambda a, b, c: a.tanh()),
    ("exp(b)", lambda a, b, c: b.exp()),
    ("log(c)", lambda a, b, c: c.log()),
    ("relu(a)", lambda a, b, c: a.relu()),
    ("relu(b)", lambda a, b, c: b.relu()),
    ("sigmoid(b)", lambda a, b, c: b.sigmoid()),
    ("a*b + c", lambda a, b, c: a * b + c),
    ("a**2 / b", lambda a, b, c: a**2 / b),
    ("(2*a).exp()", lambda a, b, c: (2 * a).exp()),
    ("relu(a - b)", lambda a, b, c: (a - b).relu()),
    ("sigmoid(a) * tanh(b) + log(c) / exp(a)", lambda a, b, c: a.sigmoid() * b.tanh() + c.log() / a.exp()),
    ("(a*b).tanh().exp() - -2.5", lambda a, b, c: (a * b).tanh().exp() - -2.5),
]


@pytest.mark.parametrize(("text", "by_hand"), HAND, ids=[text for text, _ in HAND])
def test_every_allowed_operation_equals_the_engine_by_hand(text, by_hand):
    root, leaves = run(text)
    a, b, c = (Value(ABC[name]) for name in "abc")
    expected = by_hand(a, b, c)
    expected.backward()
    assert root.data == expected.data
    assert grads(leaves) == {"a": a.grad, "b": b.grad, "c": c.grad}


def test_labels_constants_and_root():
    root, leaves = evaluate("a*-3 + 2.5", ABC)
    nodes = topological_order(root)
    assert [n.label for n in nodes if not n.operands] == ["a", "-3", "2.5"]
    assert [n.label for n in nodes if n.operands] == ["", "out"]
    assert leaves["a"].label == "a"
    unlabelled, _ = evaluate("a*-3 + 2.5", ABC, labels=False)
    assert unlabelled.label == ""
    alone, _ = evaluate("a", ABC)
    assert alone.label == "a"  # a root that already has a label keeps it


def test_a_variable_given_as_a_value_is_used_as_its_own_leaf():
    x = Value(3.0, label="x")
    root, leaves = evaluate("x * x + 1", {"x": x})
    root.backward()
    assert leaves["x"] is x
    assert x.grad == 6.0


@pytest.mark.parametrize("bad", [math.inf, math.nan, True, "2", Value(math.inf)])
def test_variables_must_be_finite_numbers(bad):
    refuse("a", "variable 'a' must be a finite number", {"a": bad})


# ---------------------------------------------------------------- PyTorch

TORCH_CASES = [text for text, _ in HAND] + ["(a*b + c) * a", "tanh(a) * tanh(a)", "2", "a"]


@pytest.mark.parametrize("text", TORCH_CASES)
def test_to_torch_agrees_with_our_engine(text):
    pytest.importorskip("torch")
    root, leaves = run(text)
    value, torch_grads = to_torch(text, ABC)
    assert close(value, root.data), (value, root.data)
    assert set(torch_grads) == set(leaves)
    for name, leaf in leaves.items():
        assert close(torch_grads[name], leaf.grad), (name, torch_grads[name], leaf.grad)


def test_to_torch_on_the_lecture_neuron():
    pytest.importorskip("torch")
    variables = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432}
    value, g = to_torch("(x1*w1 + x2*w2 + b).tanh()", variables)
    assert close(value, math.sqrt(0.5))
    assert close(g["x1"], -1.5) and close(g["w1"], 1.0) and close(g["x2"], 0.5) and g["w2"] == 0.0


@pytest.mark.parametrize(("text", "match"), [("log(b)", r"log\(-3\.0\)"), ("a / 0", "division by zero"), ("exp(1000)", "too large"), ("a**b", "exponents must be numbers")])  # fmt: skip
def test_to_torch_refuses_what_evaluate_refuses(text, match):
    # torch would quietly return nan or inf; the panel should say why instead
    pytest.importorskip("torch")
    with pytest.raises(ExpressionError, match=match):
        to_torch(text, ABC)


def test_to_torch_without_torch_says_how_to_get_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    with pytest.raises(ImportError, match="pip install torch"):
        to_torch("a", ABC)


# ---------------------------------------------------------------- arithmetic errors


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("log(-1)", re.escape("log(-1.0) is undefined: log needs a positive number")),
        ("log(a - a)", re.escape("log(0.0) is undefined")),
        ("a / 0", re.escape("2.0 / 0.0 is undefined: division by zero")),
        ("a / (b + 3)", "division by zero"),
        ("(a - a) ** -1", "division by zero"),
        ("exp(1000)", re.escape("exp(1000.0) is too large for a float")),
        ("c**100 * c**100 * c**100 * c**100", "too large for a float"),
        ("1e308 * 10", "too large for a float"),
        ("b ** 0.5", "not a real number"),
        ("1e999 + a", "number is too large"),
        ("0x" + "f" * 300, "number is too large"),
    ],
)
def test_arithmetic_errors_name_the_operation(text, match):
    refuse(text, match)


# ---------------------------------------------------------------- hostile and mistaken input

ONLY_CALLS = "only tanh, exp, log, relu, sigmoid can be called"
HOSTILE = [
    ("__import__('os')", ONLY_CALLS),
    ("open('x')", ONLY_CALLS),
    ("globals()", ONLY_CALLS),
    ("().__class__", r"'\.__class__' is not allowed"),
    ("a.__class__", r"'\.__class__' is not allowed"),
    ("(1).__class__.__bases__[0].__subclasses__()", ONLY_CALLS),
    ("exp.__globals__", r"'\.__globals__' is not allowed"),
    ("a.data", r"'\.data' is not allowed"),
    ("a**10**10", "exponents must be numbers"),
    ("a**b", re.escape("exponents must be numbers (micrograd's Value ** number)")),
    ("a**1000", f"exponent is too large: at most {MAX_EXPONENT}"),
    ("a**-101", f"exponent is too large: at most {MAX_EXPONENT}"),
    ("(" * 10_000 + "a" + ")" * 10_000, "too long: 20001 characters"),
    ("a+" * 500_000 + "a", "too long: 1000001 characters"),
    ("[a]", "lists cannot be used"),
    ("a[0]", "indexing"),
    ("a, b", "tuples"),
    ("{a}", "sets"),
    ("a if b else c", "'x if c else y' cannot be used"),
    ("lambda: a", "lambda cannot be used"),
    ("a < b", "comparisons"),
    ("a and b", "'and' / 'or'"),
    ("not a", "operator not is not supported"),
    ("~a", "operator ~ is not supported"),
    ("a % b", "operator % is not supported"),
    ("a ^ 2", r"for powers write a\*\*2"),
    ("[x for x in a]", "comprehensions"),
    ("(x := 1)", "':=' assignments"),
    ("f'{a}'", "f-strings"),
    ("tanh(a, b)", "tanh takes exactly one argument"),
    ("tanh()", "tanh takes exactly one argument"),
    ("tanh(*a)", "tanh takes exactly one argument"),
    ("tanh(x=a)", "tanh takes no keyword arguments"),
    ("a.tanh(1)", r"\.tanh\(\) takes no arguments"),
    ("a.exp(x=1)", r"\.exp\(\) takes no arguments"),
    ("1j", "complex numbers are not supported"),
    ("'s'", "text in quotes is not supported"),
    ("b's'", "text in quotes is not supported"),
    ("True", "True and False are not numbers"),
    ("None", "None is not a number"),
    ("...", "Ellipsis is not a number"),
    ("", "empty"),
    ("  \n\t ", "empty"),
    ("d", "unknown name 'd'; defined: a, b, c"),
    ("__builtins__", "unknown name '__builtins__'"),
    ("tanh", r"tanh is a function: call it like tanh\(x\)"),
    ("a.tanh", r"\.tanh is a method: call it like x\.tanh\(\)"),
    ("a +", "syntax error at column 4: the expression is incomplete"),
    ("a b", "syntax error at column 3"),
    ("(a + b", "syntax error at column 1: '\\(' was never closed"),
    ("a = 2", "syntax error at column"),
    ("a\x00", "syntax error|not allowed"),
    ("\ud800", "characters that are not allowed"),
]


@pytest.mark.parametrize(("text", "match"), HOSTILE, ids=[repr(t[:30]) for t, _ in HOSTILE])
def test_hostile_and_mistaken_input_is_refused_with_a_fitting_message(text, match):
    refuse(text, match)


def test_errors_carry_the_position_of_the_problem():
    assert refuse("a + d", "unknown name").position == (1, 5)
    assert refuse("  a b", "syntax error at column 5").position == (1, 5)  # leading spaces count
    assert refuse("(a +\n  q)", "unknown name").position == (2, 3)
    assert refuse("é + d", "unknown name", {"é": 1.0}).position == (1, 5)  # characters, not UTF-8 bytes
    assert refuse("", "empty").position is None


# ---------------------------------------------------------------- the limits, at their edges


def test_length_limit():
    assert evaluate("a" + " " * (MAX_LENGTH - 1), ABC)[0].data == 2.0
    refuse("a" + " " * MAX_LENGTH, f"too long: {MAX_LENGTH + 1} characters")


@pytest.mark.parametrize(
    ("nested", "depth"),
    [
        (lambda n: "(" * n + "a" + ")" * n, MAX_DEPTH),  # brackets: the scan before parsing
        (lambda n: "-" * n + "a", MAX_DEPTH - 1),  # a leaf under n unary minuses is n + 1 deep
        (lambda n: "a+" * n + "a", MAX_DEPTH - 1),
        (lambda n: "tanh(" * n + "a" + ")" * n, MAX_DEPTH - 1),
    ],
)
def test_depth_limit(nested, depth):
    evaluate(nested(depth), ABC)
    refuse(nested(depth + 1), "nested too deeply")


def test_node_limit(monkeypatch):
    # 2,000 characters cannot hold 2,000 nodes within the depth limit, so lower the limit to test it
    monkeypatch.setattr(expr_module, "MAX_NODES", 7)
    evaluate("a*b + c*a", ABC)  # 7 nodes
    refuse("a*b + c*a + 1", "too large: more than 7 parts")


@pytest.mark.parametrize("text", ["(" * 100_000 + "a" + ")" * 100_000, "-" * 200_000 + "a"])
def test_python_parser_limits_are_caught_if_our_own_are_lifted(monkeypatch, text):
    # Python's parser itself raises SyntaxError, RecursionError or MemoryError on these
    monkeypatch.setattr(expr_module, "MAX_LENGTH", 10**7)
    monkeypatch.setattr(expr_module, "MAX_DEPTH", 10**7)
    refuse(text, "nested|syntax error")


def test_exponent_limit():
    assert run(f"a ** {MAX_EXPONENT}")[0].data == 2.0**MAX_EXPONENT
    assert run(f"a ** -{MAX_EXPONENT}")[0].data == 2.0**-MAX_EXPONENT
    refuse(f"a ** {MAX_EXPONENT + 0.5}", "exponent is too large")


def test_the_module_never_evaluates_code():
    source = Path(expr_module.__file__).read_text()
    tree = ast.parse(source)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    attributes = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}  # re.compile is fine
    assert names.isdisjoint({"eval", "exec", "compile", "__import__", "__builtins__"})
    assert attributes.isdisjoint({"eval", "exec", "literal_eval", "import_module"})


# ---------------------------------------------------------------- random text: a result or an ExpressionError

TOKENS = ["a", "b", "c", "0", "1", "2.5", "1e308", "-", "+", "*", "/", "**", "(", ")", ".", ",", " ",
          "tanh", "exp", "log", "relu", "sigmoid", "()", "(a)", "x", "=", "[", "'", "__class__"]  # fmt: skip


def evaluates_or_refuses(text: str) -> None:
    try:
        root, leaves = evaluate(text, ABC)
    except ExpressionError as e:
        assert str(e)
        return
    assert isinstance(root, Value) and math.isfinite(root.data)
    assert set(leaves) == set(ABC)


@settings(max_examples=300)
@given(st.text(alphabet=string.printable, max_size=80))
def test_random_printable_text_evaluates_or_raises_expression_error(text):
    evaluates_or_refuses(text)


@given(st.text(max_size=40))
def test_random_unicode_text_evaluates_or_raises_expression_error(text):
    evaluates_or_refuses(text)


@settings(max_examples=500)
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_random_token_soup_evaluates_or_raises_expression_error(text):
    evaluates_or_refuses(text)


# ---------------------------------------------------------------- parse_variables


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a = 2.0, b = -3\nc=10", {"a": 2.0, "b": -3.0, "c": 10.0}),
        (
            "x1=2; x2 = 0 ;w1=-3.0\n\nw2 = 1, b = 6.8813735870195432,",
            {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": 6.8813735870195432},
        ),  # fmt: skip
        (
            "p = 1e-3, q = +2.5, r = .5, s = 5., t = -1E+2",
            {"p": 0.001, "q": 2.5, "r": 0.5, "s": 5.0, "t": -100.0},
        ),
        ("", {}),
        (" \n ,; ", {}),
        ("α = 1, _x = 2", {"α": 1.0, "_x": 2.0}),
        ("ﬁ = 1", {"fi": 1.0}),  # as the parser will see the name
    ],
)
def test_parse_variables(text, expected):
    assert parse_variables(text) == expected


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("a", r"expected 'name = number' \(in 'a'\)"),
        ("a = 1 = 2", "expected 'name = number'"),
        ("a = ", r"'' is not a number \(in 'a ='\)"),
        ("a = b", "'b' is not a number"),
        ("a = nan", "'nan' is not a number"),
        ("a = inf", "'inf' is not a number"),
        ("a = 1_000", "'1_000' is not a number"),
        ("a = 0x10", "'0x10' is not a number"),
        ("a = ٣", "is not a number"),
        ("a = 1e999", "1e999 is too large"),
        ("1a = 2", "'1a' is not a valid variable name"),
        ("a b = 2", "'a b' is not a valid variable name"),
        ("if = 2", "'if' is not a valid variable name"),
        ("tanh = 1", "'tanh' cannot be a variable name: it is a function"),
        ("__class__ = 1", "'__class__' cannot be a variable name: it is reserved"),
        ("a = 1, b = 2, a = 3", r"'a' is defined twice \(in 'a = 3'\)"),
        ("a = 1\n" * 1000, "too long"),
    ],
)
def test_parse_variables_refuses_with_the_problem_and_the_part(text, match):
    with pytest.raises(ExpressionError, match=match):
        parse_variables(text)


def test_parse_variables_error_position():
    with pytest.raises(ExpressionError) as info:
        parse_variables("a = 1\nb = 2,  c = x")
    assert info.value.position == (2, 7)


@given(st.text(alphabet=string.printable + "αé٣", max_size=60))
def test_parse_variables_on_random_text_returns_finite_numbers_or_raises_expression_error(text):
    try:
        variables = parse_variables(text)
    except ExpressionError:
        return
    assert all(name.isidentifier() and math.isfinite(v) for name, v in variables.items())

"""The code behind a node: the engine's own backward rule for its operation, with its numbers.

`rule_source(op)` is the source of the function backward() runs for that operation,
read from engine/ as it is now (inspect), so what the window shows is the code that
ran. `rule_with_numbers(node)` pairs each line that adds to a grad with the same line
with the node's numbers put in: ``a.grad += b.data * out.grad`` beside
``a.grad += -3.0 × 1.0``. An activation's rule is made from its slope (engine/value.py):
its line is shown with the slope's formula put in for the call, as the lecture writes it.
"""

from __future__ import annotations

import inspect
import re
import textwrap

from engine.ops import SLOPES
from engine.value import BACKWARD_RULES, Value

_ACCESS = re.compile(r"\b(out|a|b)\.(data|grad)\b")
_EXPONENT = re.compile(r"\bn\b")


def rule_source(op: str) -> str:
    """The backward rule of `op` as it is written in engine/ (dedented)."""
    if op not in BACKWARD_RULES:
        raise ValueError(f"no backward rule for {op!r}")
    rule = textwrap.dedent(inspect.getsource(BACKWARD_RULES[op]))
    return textwrap.dedent(inspect.getsource(SLOPES[op])) + "\n" + rule if op in SLOPES else rule


def _slope_formula(op: str) -> str:
    """An activation's slope as an expression of out.data: its `return` line, from its source."""
    returned = next(line for line in rule_source(op).splitlines() if line.strip().startswith("return "))
    return re.sub(r"\bout\b(?!\.)", "out.data", returned.split("#", 1)[0].strip().removeprefix("return "))


def rule_with_numbers(node: Value) -> list[tuple[str, str]]:
    """(line, the line with this node's numbers) for each line of its rule that adds to a grad.

    For the basic operations, whose rules name the node `out` and its operands `a` and `b`.
    A neuron node's rule loops over its inputs: its lines are shown without numbers.
    """
    names = {"out": node}
    operands = node.operands
    if not node.op.startswith("neuron:"):
        names.update(zip(("a", "b"), operands))
    pairs = []
    for line in rule_source(node.op).splitlines():
        code = line.split("#", 1)[0].strip()
        if "+=" not in code:
            continue
        if node.op in SLOPES:
            code = code.replace("slope(out.data)", f"({_slope_formula(node.op)})")
        left, right = (part.strip() for part in code.split("+=", 1))
        if node.op.startswith("neuron:"):
            pairs.append((code, ""))
            continue
        pairs.append((code, f"{left} += {_numbers(right, names, node)}"))
    return pairs


def _numbers(expression: str, names: dict[str, Value], node: Value) -> str:
    def value_of(match: re.Match) -> str:
        value = names.get(match.group(1))
        return match.group(0) if value is None else f"{getattr(value, match.group(2)):.6g}"

    text = _ACCESS.sub(value_of, expression)
    if node.exponent is not None:
        text = _EXPONENT.sub(f"{node.exponent:g}", text)
    return text.replace(" * ", " × ")

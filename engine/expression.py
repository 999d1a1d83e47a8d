"""Expressions a learner types, like ``(x1*w1 + x2*w2 + b).tanh()``, turned into a `Value` graph.

Never eval: the text is parsed with ``ast.parse(mode="eval")`` and the tree is walked
with an allow-list (numbers, variable names, ``+ - * / **``, unary ``-`` and ``+``,
and tanh exp log relu sigmoid as ``f(x)`` or ``x.f()``); anything else is refused with
an `ExpressionError` whose message the app shows as is. Sizes are checked before the
parser runs, so hostile input is refused in microseconds. The same walker builds the
expression from PyTorch tensors (`to_torch`) for the "compare with PyTorch" panel.

    >>> out, leaves = evaluate("a*b + c", parse_variables("a = 2, b = -3, c = 10"))
    >>> out.data, out.label
    (4.0, 'out')
"""

from __future__ import annotations

import ast
import keyword
import math
import re
import unicodedata
import warnings
from typing import Any

from engine.value import Value

FUNCTIONS = ("tanh", "exp", "log", "relu", "sigmoid")
MAX_LENGTH = 2_000  # characters
MAX_DEPTH = 100  # nesting depth of the syntax tree
MAX_NODES = 2_000  # syntax-tree nodes
MAX_EXPONENT = 100  # |exponent| allowed in **

_ALLOWED = "use numbers, variable names, + - * / ** and tanh exp log relu sigmoid"
_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_REFUSED = {  # what the user wrote, in words, for the syntax we do not allow
    ast.Subscript: "indexing like x[0]", ast.List: "lists", ast.Tuple: "tuples (or a stray comma)",
    ast.Set: "sets", ast.Dict: "dictionaries", ast.Compare: "comparisons like a < b",
    ast.BoolOp: "'and' / 'or'", ast.IfExp: "'x if c else y'", ast.Lambda: "lambda",
    ast.ListComp: "comprehensions", ast.SetComp: "comprehensions", ast.DictComp: "comprehensions",
    ast.GeneratorExp: "comprehensions", ast.JoinedStr: "f-strings", ast.Starred: "starred arguments (*x)",
    ast.NamedExpr: "':=' assignments", ast.Slice: "slices",
}  # fmt: skip
_OTHER_OPERATORS = {
    ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.BitXor: "^", ast.BitAnd: "&", ast.BitOr: "|",
    ast.LShift: "<<", ast.RShift: ">>", ast.Invert: "~", ast.Not: "not",
}  # fmt: skip
_NOT_NODES = (ast.expr_context, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)  # markers, not parts
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)  # no nan, inf, 1_0, non-ASCII digits


class ExpressionError(ValueError):
    """An expression that cannot be evaluated, with a message for the user (and .position: (line, col) or None).

    Lines and columns count from 1, in characters of the text that was given.
    """

    def __init__(self, message: str, position: tuple[int, int] | None = None):
        super().__init__(message)
        self.position = position


def parse_variables(text: str) -> dict[str, float]:
    """``"a = 2.0, b = -3\\nc=10"`` -> ``{"a": 2.0, "b": -3.0, "c": 10.0}`` (commas, semicolons or newlines)."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the variables are too long: {len(text)} characters (at most {MAX_LENGTH})")
    variables: dict[str, float] = {}
    for match in re.finditer(r"[^,;\n]+", text):
        part, start = match.group().strip(), match.start()
        where = (text.count("\n", 0, start) + 1, start - text.rfind("\n", 0, start))
        if not part:
            continue  # blank lines and trailing commas
        name, equals, number = (s.strip() for s in part.partition("="))
        name = unicodedata.normalize("NFKC", name)  # the parser sees names this way ("ﬁ" is "fi")
        if not equals or "=" in number:
            problem = "expected 'name = number'"
        elif not name.isidentifier() or keyword.iskeyword(name):
            problem = f"{name!r} is not a valid variable name"
        elif name in FUNCTIONS or (name.startswith("__") and name.endswith("__")):
            problem = f"{name!r} cannot be a variable name: it is " + (
                "a function" if name in FUNCTIONS else "reserved"
            )
        elif name in variables:
            problem = f"{name!r} is defined twice"
        elif not _NUMBER.fullmatch(number):
            problem = f"{number!r} is not a number"
        elif not math.isfinite(float(number)):
            problem = f"{number} is too large for a float"
        else:
            variables[name] = float(number)
            continue
        raise ExpressionError(f"{problem} (in {part!r})", where)
    return variables


def evaluate(
    expression: str, variables: dict[str, float | Value], labels: bool = True
) -> tuple[Value, dict[str, Value]]:
    """Build the expression's graph: (root, {name: leaf}) for every variable, each one leaf however often used.

    Numeric literals become constant leaves labelled with their text. With `labels`, an
    unlabelled root is labelled "out"; the nodes in between keep the engine's empty label.
    A variable given as a `Value` is used as its own leaf (so it can join a larger graph).
    """
    leaves: dict[str, Value] = {}
    for name, v in variables.items():
        number = _finite(name, v)  # a Value's too: inf would only surface later, as a puzzling overflow
        leaves[name] = v if isinstance(v, Value) else Value(number, label=name)
    root = _Walker(expression, leaves, lambda n, text: Value(n, label=text), lambda v: v.data).run()
    if labels and not root.label:
        root.label = "out"
    return root, leaves


def to_torch(expression: str, variables: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The same expression in PyTorch float64, after backward: (value, {name: grad}) for every variable."""
    try:
        import torch  # optional: only this comparison needs it
    except ImportError as e:
        raise ImportError(
            "comparing with PyTorch needs torch: pip install torch (the CPU build is enough)"
        ) from e
    leaves = {
        name: torch.tensor(_finite(name, v), dtype=torch.float64, requires_grad=True)
        for name, v in variables.items()
    }
    root = _Walker(
        expression, leaves, lambda n, text: torch.tensor(n, dtype=torch.float64), torch.Tensor.item
    ).run()
    if root.requires_grad:  # a constant expression has nothing to differentiate
        root.backward()
    return root.item(), {name: 0.0 if t.grad is None else t.grad.item() for name, t in leaves.items()}


def _finite(name: str, number: float | Value) -> float:
    number = number.data if isinstance(number, Value) else number
    if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number):
        raise ExpressionError(f"variable {name!r} must be a finite number, not {number!r}")
    return float(number)


class _Walker:
    """Parses once and builds the tree bottom-up with any backend whose nodes support the
    engine's operators and methods: `Value`s, or torch tensors. `const(number, text)` makes a
    constant, `data(node)` reads a node's float (to check domains and overflow uniformly)."""

    def __init__(self, text: str, leaves: dict[str, Any], const: Any, data: Any):
        self.leaves = {unicodedata.normalize("NFKC", name): leaf for name, leaf in leaves.items()}
        self.names = ", ".join(leaves) or "none"
        self.const, self.data = const, data
        self.text = text

    def run(self) -> Any:
        text = self.text
        if len(text) > MAX_LENGTH:  # before anything else touches the text
            raise ExpressionError(
                f"the expression is too long: {len(text)} characters (at most {MAX_LENGTH})"
            )
        if not text.strip():
            raise ExpressionError("the expression is empty: type one, like a*b + c")
        depth = deepest = 0
        for char in text:  # a quick scan: Python's own parser gives up on deep brackets less kindly
            depth += (char in "([{") - (char in ")]}")
            deepest = max(deepest, depth)
        if deepest > MAX_DEPTH:
            raise ExpressionError(f"the expression is nested too deeply: more than {MAX_DEPTH} brackets")
        # Python refuses leading whitespace in eval mode: strip it, and shift positions back.
        self.body = text.strip()
        skipped = text[: text.index(self.body[0])]
        self.shift = (skipped.count("\n"), len(skipped) - skipped.rfind("\n") - 1)
        self.lines = re.split(r"\r\n|\r|\n", self.body)  # Python's line breaks (not str.splitlines's)
        try:
            with warnings.catch_warnings():  # a SyntaxWarning for 1(2), say: we refuse it anyway
                warnings.simplefilter("ignore")
                tree = ast.parse(self.body + "\n", mode="eval")  # the newline gives better error columns
        except SyntaxError as e:
            raise self._syntax_error(e) from None
        except (RecursionError, MemoryError):
            raise ExpressionError("the expression is nested too deeply") from None
        except ValueError:  # a null byte or a lone surrogate
            raise ExpressionError("the expression contains characters that are not allowed") from None
        self._check_size(tree.body)
        return self._build(tree.body)  # recursion is safe now: at most MAX_DEPTH levels

    def _check_size(self, root: ast.AST) -> None:
        stack, count = [(root, 1)], 0
        while stack:  # iterative, so that a deep tree cannot overflow the stack here
            node, depth = stack.pop()
            count += 1
            if depth > MAX_DEPTH:
                raise self._error(f"the expression is nested too deeply: more than {MAX_DEPTH} levels", node)
            if count > MAX_NODES:
                raise ExpressionError(f"the expression is too large: more than {MAX_NODES} parts")
            stack.extend((c, depth + 1) for c in ast.iter_child_nodes(node) if not isinstance(c, _NOT_NODES))

    def _build(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Constant) or _is_signed_literal(node):
            number = self._number(node)
            return self.const(number, ast.get_source_segment(self.body, node) or repr(number))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            x = self._build(node.operand)
            return -x if isinstance(node.op, ast.USub) else x  # the engine's -a is a * -1
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return self._binary(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        raise self._refusal(node)

    def _name(self, node: ast.Name) -> Any:
        leaf = self.leaves.get(node.id)
        if leaf is not None:
            return leaf
        if node.id in FUNCTIONS:
            raise self._error(f"{node.id} is a function: call it like {node.id}(x)", node)
        raise self._error(f"unknown name {node.id!r}; defined: {self.names}", node)

    def _refusal(self, node: ast.AST) -> ExpressionError:
        """Why syntax the walker does not build is refused, in the user's terms."""
        if isinstance(node, ast.Attribute):
            if node.attr in FUNCTIONS:
                return self._error(f".{node.attr} is a method: call it like x.{node.attr}()", node)
            methods = " ".join(f".{f}()" for f in FUNCTIONS)
            return self._error(f"'.{node.attr}' is not allowed: the only methods are {methods}", node)
        if isinstance(node, (ast.BinOp, ast.UnaryOp)):
            symbol = _OTHER_OPERATORS.get(type(node.op), type(node.op).__name__)
            hint = "; for powers write a**2" if symbol == "^" else ""
            return self._error(f"the operator {symbol} is not supported{hint}: {_ALLOWED}", node)
        what = _REFUSED.get(type(node), f"'{type(node).__name__}' syntax")
        return self._error(f"{what} cannot be used here: {_ALLOWED}", node)

    def _binary(self, node: ast.BinOp) -> Any:
        symbol = _OPERATORS[type(node.op)]
        x = self._build(node.left)
        if symbol == "**":  # micrograd's Value ** number: the exponent is not a node of the graph
            if not (isinstance(node.right, ast.Constant) or _is_signed_literal(node.right)):
                message = "exponents must be numbers (micrograd's Value ** number), like a**2 or a**-1"
                raise self._error(message, node.right)
            n, base = self._number(node.right, exponent=True), self.data(x)
            if base == 0 and n < 0:
                raise self._error(f"0.0 ** {n!r} is undefined: division by zero", node)
            if base < 0 and not float(n).is_integer():
                raise self._error(
                    f"({base!r}) ** {n!r} is not a real number (negative base, fractional power)", node
                )
            return self._apply(node, f"{base!r} ** {n!r}", lambda: x**n)
        y = self._build(node.right)
        what = f"{self.data(x)!r} {symbol} {self.data(y)!r}"
        if symbol == "/" and self.data(y) == 0:
            raise self._error(f"{what} is undefined: division by zero", node)
        ops = {"+": lambda: x + y, "-": lambda: x - y, "*": lambda: x * y, "/": lambda: x / y}
        return self._apply(node, what, ops[symbol])

    def _call(self, node: ast.Call) -> Any:
        func, nargs = node.func, len(node.args) + len(node.keywords)
        if isinstance(func, ast.Name) and func.id in FUNCTIONS:
            name, how = func.id, f"{func.id}(x)"
            if node.keywords:
                raise self._error(f"{name} takes no keyword arguments, written like {how}", node)
            if nargs != 1 or isinstance(node.args[0], ast.Starred):
                raise self._error(f"{name} takes exactly one argument, written like {how}", node)
            operand = node.args[0]
        elif isinstance(func, ast.Attribute) and func.attr in FUNCTIONS:
            name, how, operand = func.attr, f"x.{func.attr}()", func.value
            if nargs:
                raise self._error(f".{name}() takes no arguments, written like {how}", node)
        else:
            raise self._error(f"only {', '.join(FUNCTIONS)} can be called", node)
        x = self._build(operand)
        if name == "log" and self.data(x) <= 0:
            raise self._error(f"log({self.data(x)!r}) is undefined: log needs a positive number", node)
        return self._apply(node, f"{name}({self.data(x)!r})", lambda: getattr(x, name)())

    def _number(self, node: ast.AST, exponent: bool = False) -> int | float:
        value = node.operand.value if isinstance(node, ast.UnaryOp) else node.value  # type: ignore[attr-defined]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kinds = {bool: "True and False are not numbers", complex: "complex numbers are not supported",
                     str: "text in quotes is not supported", bytes: "text in quotes is not supported"}  # fmt: skip
            raise self._error(f"{kinds.get(type(value), f'{value!r} is not a number')}: {_ALLOWED}", node)
        value = -value if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) else value
        if exponent and abs(value) > MAX_EXPONENT:
            raise self._error(f"the exponent is too large: at most {MAX_EXPONENT} either way", node)
        if exponent:
            return value  # an int exponent stays an int, as it would in Python code
        try:
            number = float(value)  # a huge int literal raises; 1e999 becomes inf
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise self._error("this number is too large for a float", node)
        return number

    def _apply(self, node: ast.AST, what: str, op: Any) -> Any:
        # One check for every backend: Value raises on overflow where torch returns inf.
        try:
            out = op()
        except OverflowError:
            out = None
        except (ArithmeticError, ValueError) as e:
            raise self._error(f"{what} is undefined ({e})", node) from None
        if out is None or not math.isfinite(self.data(out)):
            raise self._error(f"{what} is too large for a float", node)
        return out

    def _error(self, message: str, node: ast.AST) -> ExpressionError:
        line = getattr(node, "lineno", 1)
        text = self.lines[line - 1] if line <= len(self.lines) else ""
        prefix = text.encode()[
            : getattr(node, "col_offset", 0)
        ]  # ast counts UTF-8 bytes, people count characters
        column = len(prefix.decode(errors="ignore"))
        return ExpressionError(message, self._position(line, column + 1))

    def _syntax_error(self, e: SyntaxError) -> ExpressionError:
        line, column = e.lineno or 1, max(e.offset or 1, 1)
        at_end = line == len(self.lines) and column > len(self.lines[-1].rstrip())
        line, column = self._position(line, column)
        detail = "the expression is incomplete" if at_end and e.msg == "invalid syntax" else e.msg
        where = f"line {line}, column {column}" if line > 1 else f"column {column}"
        return ExpressionError(f"syntax error at {where}: {detail}", (line, column))

    def _position(self, line: int, column: int) -> tuple[int, int]:
        lines_skipped, columns_skipped = self.shift
        return line + lines_skipped, column + (columns_skipped if line == 1 else 0)


def _is_signed_literal(node: ast.AST) -> bool:
    """-3 or +2.5 written as a number: one constant (as the lecture draws it), not an operation."""
    return (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, (ast.USub, ast.UAdd))
        and isinstance(node.operand, ast.Constant)
    )

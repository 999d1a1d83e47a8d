"""Engineered inputs: extra columns computed from a 2-D sample's x1 and x2, as TensorFlow Playground offers.

A network given x1² and x2² separates the circles with a single neuron: the boundary a
hidden layer had to learn is already among its inputs. The choice belongs to the
network's input layer (`ModelSpec.extra_inputs`); the data keeps its raw columns, and
every place that feeds samples or grid points to the network expands them here, the
same way, so the training, the decision boundary, the graph and the exports agree.

>>> expand_row([2.0, 0.0], ["x1^2", "x1*x2"])
[2.0, 0.0, 4.0, 0.0]
>>> input_names(2, ["x1^2", "sin x2"])
['x1', 'x2', 'x1²', 'sin x2']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy

    from engine.data import Dataset

# Each extra input: its id (as files and the command line write it), the name the views
# show, and how it is computed from (x1, x2). Python's math and NumPy give the same floats
# for these (a square is one multiplication; sin is the C library's either way).
EXTRA_INPUTS: dict[str, tuple[str, Callable[[float, float], float]]] = {
    "x1^2": ("x1²", lambda x1, x2: x1 * x1),
    "x2^2": ("x2²", lambda x1, x2: x2 * x2),
    "x1*x2": ("x1·x2", lambda x1, x2: x1 * x2),
    "sin x1": ("sin x1", lambda x1, x2: math.sin(x1)),
    "sin x2": ("sin x2", lambda x1, x2: math.sin(x2)),
}
RAW_INPUTS_NEEDED = 2  # every extra is computed from x1 and x2


class FeatureError(ValueError):
    """A choice of extra inputs that cannot be used, with a message saying why."""


def extras_problem(extras: object, n_raw: int | None = None) -> str:
    """Why `extras` is not a usable choice (for data with `n_raw` columns, if given), or ""."""
    if not isinstance(extras, list):
        return f"the extra inputs must be a list of names like {', '.join(EXTRA_INPUTS)}"
    for name in extras:
        if not isinstance(name, str) or name not in EXTRA_INPUTS:
            shown = repr(name) if len(repr(name)) <= 30 else repr(name)[:27] + "..."
            return f"unknown extra input {shown}; choose from {', '.join(EXTRA_INPUTS)}"
    if len(set(extras)) != len(extras):
        return "an extra input is chosen twice"
    if extras and n_raw is not None and n_raw != RAW_INPUTS_NEEDED:
        return f"extra inputs are computed from x1 and x2: they need 2-D data, not {n_raw} columns"
    return ""


def check_extras(extras: object, n_raw: int | None = None) -> None:
    """Raise FeatureError unless `extras` is usable (see `extras_problem`)."""
    if problem := extras_problem(extras, n_raw):
        raise FeatureError(problem)


def input_names(n_raw: int, extras: Sequence[str] = ()) -> list[str]:
    """The network's inputs, named: x1 ... xn, then each extra as the views show it."""
    return [f"x{i + 1}" for i in range(n_raw)] + [EXTRA_INPUTS[name][0] for name in extras]


def expand_row(row: Sequence[float], extras: Sequence[str]) -> list[float]:
    """The raw row with the chosen extras appended, in the order chosen."""
    if not extras:
        return list(row)
    x1, x2 = row[0], row[1]
    return [*row, *(EXTRA_INPUTS[name][1](x1, x2) for name in extras)]


def expand_rows(rows: Sequence[Sequence[float]], extras: Sequence[str]) -> list[list[float]]:
    return [expand_row(row, extras) for row in rows]


def expand_dataset(dataset: Dataset, extras: Sequence[str]) -> Dataset:
    """The dataset as the network sees it (the same object when there are no extras)."""
    if not extras:
        return dataset
    check_extras(list(extras), dataset.n_inputs)
    return replace(dataset, inputs=expand_rows(dataset.inputs, extras), targets=list(dataset.targets))


def expand_array(points: Any, extras: Sequence[str]) -> numpy.ndarray:
    """An (n, 2 or more) array of points with the extras computed from its first two columns
    and appended after them (for grids: squares and products equal `expand_row`'s bit for
    bit, NumPy's sin may differ from math.sin in the last bit)."""
    import numpy as np

    raw = np.asarray(points, dtype=np.float64)
    if not extras:
        return raw
    x1, x2 = raw[:, 0], raw[:, 1]
    columns = {
        "x1^2": lambda: x1 * x1,
        "x2^2": lambda: x2 * x2,
        "x1*x2": lambda: x1 * x2,
        "sin x1": lambda: np.sin(x1),
        "sin x2": lambda: np.sin(x2),
    }
    return np.column_stack([raw[:, :RAW_INPUTS_NEEDED], *(columns[name]() for name in extras)])


# ---- the inputs a weights file expects (its metadata's "input_names")

INPUT_NAMES_KEY = "input_names"


def weights_input_names(weights: Any) -> list[str]:
    """The inputs `weights` (a ModelWeights) expect, by name: its metadata's "input_names", or
    x1 ... xn for a file that names none (written before engineered inputs, or by hand)."""
    names = weights.metadata.get(INPUT_NAMES_KEY)
    if names is None:
        return [f"x{i + 1}" for i in range(weights.inputs)]
    if not isinstance(names, list) or not all(isinstance(n, str) and len(n) <= 40 for n in names):
        raise FeatureError("its metadata's 'input_names' must be a list of short names, one per input")
    if len(names) != weights.inputs:
        raise FeatureError(
            f"its metadata names {len(names)} inputs ('input_names') but its weights take {weights.inputs}"
        )
    return list(names)


def input_names_problem(weights: Any, expected: Sequence[str]) -> str:
    """Why weights expecting other inputs than `expected` do not fit this network, or ""."""
    try:
        names = weights_input_names(weights)
    except FeatureError as exc:
        return str(exc)
    if names == list(expected):
        return ""
    return f"they expect the inputs {', '.join(names)}; this network takes {', '.join(expected)}"


def name_input_nodes(graph: Any, names: Sequence[str]) -> None:
    """Rename a drawn graph's input nodes ("x3", or "s2.x3" in a whole-loss graph) after the
    network's inputs, so an engineered input reads "x1²" rather than "x3"."""
    if not names:
        return
    for node in graph.nodes:
        if node.kind != "input":
            continue
        prefix, _, label = node.name.rpartition(".") if "." in node.name else ("", "", node.name)
        if label.startswith("x") and label[1:].isdigit() and 1 <= int(label[1:]) <= len(names):
            node.name = f"{prefix}.{names[int(label[1:]) - 1]}" if prefix else names[int(label[1:]) - 1]

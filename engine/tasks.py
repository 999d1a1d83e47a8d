"""The three kinds of problem a dataset can pose, and what fits each.

- "binary": two classes, targets +1 / -1 (the lecture's); one output, its sign is the class.
- "classes": k >= 2 classes, targets the whole numbers 0 .. k-1 (stored as floats);
  one output per class, the largest one is the predicted class (argmax).
- "regression": targets are any finite real numbers; one output, the prediction itself.

`detect_task` is the rule a CSV (or an old session file, which has no task) is read by:

1. every target is +1 or -1                               -> "binary"
2. every target is a whole number 0 .. k-1, k >= 3, and every class
   from 0 to k-1 has at least one sample                   -> "classes"
3. anything else                                          -> "regression"

So labels 0/1 are regression unless the import says "classes" explicitly (they may be
a 0/1 measurement as well as two classes); a file with labels 0, 1, 3 (no class 2)
is regression, and importing it as classes says which class is missing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

TASKS = {
    "binary": "two classes (+1 / -1)",
    "classes": "several classes (0, 1, 2, ...)",
    "regression": "regression (any numbers)",
}

# The losses each task can train with, its default first.
LOSSES_FOR_TASK = {
    "binary": ("sse", "mse", "hinge", "bce"),
    "classes": ("ce",),
    "regression": ("mse", "sse"),
}

MAX_CLASSES = 20  # far more than a 2-D picture can colour apart, and than a scalar engine trains live


class TaskError(ValueError):
    """Targets that do not fit a task, or a loss that does not fit it; the message says which."""


def detect_task(targets: Sequence[float]) -> str:
    """The task the targets look like, by the rule in this module's docstring."""
    if targets and all(y in (1.0, -1.0) for y in targets):
        return "binary"
    if targets and all(_is_whole(y) and y >= 0 for y in targets):
        k = int(max(targets)) + 1
        if 3 <= k <= MAX_CLASSES and len(set(targets)) == k:
            return "classes"
    return "regression"


def _is_whole(y: float) -> bool:
    return isinstance(y, (int, float)) and not isinstance(y, bool) and math.isfinite(y) and y == int(y)


def check_target(task: str, target: float, where: str) -> None:
    """Raise TaskError unless `target` (already a finite number) fits `task`; `where` names the sample."""
    if task == "binary" and target not in (1.0, -1.0):
        raise TaskError(
            f"{where}: target {target:g} is not +1 or -1, which a two-class dataset needs "
            "(for other numbers choose regression, for labels 0, 1, 2, ... several classes)"
        )
    if task == "classes" and not (_is_whole(target) and 0 <= target < MAX_CLASSES):
        raise TaskError(f"{where}: class label {target:g} is not a whole number from 0 to {MAX_CLASSES - 1}")


def check_classes(targets: Sequence[float]) -> int:
    """The class count k of class labels already checked one by one; every class 0..k-1 must occur."""
    k = int(max(targets)) + 1 if targets else 0
    if k < 2:
        raise TaskError("a dataset of several classes needs at least 2 classes (labels 0 and 1)")
    missing = sorted(set(range(k)) - {int(y) for y in targets})
    if missing:
        raise TaskError(
            f"class {missing[0]} has no samples: the labels must be 0 to {k - 1} with each one used "
            f"(the largest label, {k - 1}, makes {k} classes)"
        )
    return k


def check_loss_fits(task: str, loss: object) -> None:
    """Raise TaskError unless training `task` with `loss` makes sense."""
    allowed = LOSSES_FOR_TASK[task]
    if loss not in allowed:
        raise TaskError(
            f"the loss {loss!r} does not fit {TASKS[task]}: choose {' or '.join(repr(a) for a in allowed)}"
        )


def default_loss(task: str, current: str) -> str:
    """`current` if it fits `task`, else the task's first loss."""
    return current if current in LOSSES_FOR_TASK[task] else LOSSES_FOR_TASK[task][0]


# ---------------------------------------------------------------- what the network's outputs mean


def argmax(row: Sequence[float]) -> int:
    """The index of the largest output (the first one on a tie), as torch.argmax picks it."""
    best = 0
    for j in range(1, len(row)):
        if row[j] > row[best]:
            best = j
    return best


def class_accuracy(outputs: Sequence[Sequence[float]], targets: Sequence[float]) -> float:
    """The fraction of samples whose largest output is their class."""
    if not outputs:
        return 0.0
    return sum(argmax(row) == int(y) for row, y in zip(outputs, targets)) / len(outputs)


def r_squared(predictions: Sequence[float], targets: Sequence[float]) -> float | None:
    """1 - SS_res / SS_tot: 1 is a perfect fit, 0 no better than predicting the mean.

    None when the targets do not vary (SS_tot = 0: R^2 is not defined) or a prediction
    is not finite.
    """
    if not targets:
        return None
    mean = math.fsum(targets) / len(targets)
    total = math.fsum((y - mean) ** 2 for y in targets)
    residual = math.fsum((p - y) ** 2 for p, y in zip(predictions, targets))
    if total == 0.0 or not math.isfinite(residual):
        return None
    return 1.0 - residual / total

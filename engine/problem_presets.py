"""Seeded presets for several classes and for regression, pure Python like engine/data.py's.

Several classes (targets 0 .. k-1): a k-arm spiral and k Gaussian blobs.
Regression (targets any numbers): four 1-D curves (a sine, |x|, a step, a line) and a
2-D smooth bump. Regression inputs are drawn uniformly from [-1, 1] without noise;
`noise` is the std of Gaussian noise added to the targets, so the curve the network
should find is the noise-free one.

Every preset is made from one `random.Random(seed)`: the same arguments give the
same floats on every machine.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from engine.data import PRESETS, DataError, Dataset, Recipe, check_preset_args, short_text

CLASS_COUNT_RANGE = (3, 8)  # what the Data panel's "classes" field offers


def check_class_count(classes: object) -> int:
    low, high = CLASS_COUNT_RANGE
    if isinstance(classes, bool) or not isinstance(classes, int) or not low <= classes <= high:
        raise DataError(
            f"the number of classes must be a whole number from {low} to {high}, not {short_text(classes)}"
        )
    return classes


def _class_sizes(n_samples: int, classes: int) -> list[int]:
    """n samples dealt out to the classes as evenly as they go, the first classes one more."""
    return [n_samples // classes + (c < n_samples % classes) for c in range(classes)]


def _build_classes(
    name: str,
    n_samples: int,
    noise: float,
    seed: int,
    classes: int,
    point: Callable[[random.Random, int, int, int, int], tuple[float, float]],
) -> Dataset:
    """`point(rng, label, i, count, classes)` is sample i of `count` of class `label`, before noise."""
    check_preset_args(n_samples, noise, seed)
    check_class_count(classes)
    if n_samples < classes:
        raise DataError(f"{classes} classes need at least {classes} samples, one each; not {n_samples}")
    rng = random.Random(seed)
    samples = []
    for label, count in enumerate(_class_sizes(n_samples, classes)):
        for i in range(count):
            x, y = point(rng, label, i, count, classes)
            samples.append(([x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)], float(label)))
    rng.shuffle(samples)  # any prefix (a mini-batch, the table's first rows) holds several classes
    recipe = Recipe(name, n_samples, float(noise), seed, classes)
    return Dataset([s[0] for s in samples], [s[1] for s in samples], name, "classes", recipe)


def _arm(rng: random.Random, label: int, i: int, count: int, classes: int) -> tuple[float, float]:
    # arm `label` starts in the middle and turns 3/4 of a circle outwards; the arms are
    # the same curve turned by 1/k of a circle each
    s = i / (count - 1) if count > 1 else 0.0
    radius, angle = 0.1 + 0.9 * s, 1.5 * math.pi * s + 2 * math.pi * label / classes
    return radius * math.cos(angle), radius * math.sin(angle)


def _class_blob(rng: random.Random, label: int, i: int, count: int, classes: int) -> tuple[float, float]:
    # centres evenly spaced on a circle of radius 1, each blob with its own spread (std 0.3)
    angle = math.pi / 2 + 2 * math.pi * label / classes
    return math.cos(angle) + rng.gauss(0.0, 0.3), math.sin(angle) + rng.gauss(0.0, 0.3)


def arms(n_samples: int = 150, noise: float = 0.05, seed: int = 0, classes: int = 3) -> Dataset:
    """A spiral of `classes` arms in the unit disc, one class per arm (labels 0 .. k-1)."""
    return _build_classes("arms", n_samples, noise, seed, classes, _arm)


def kblobs(n_samples: int = 150, noise: float = 0.1, seed: int = 0, classes: int = 3) -> Dataset:
    """`classes` Gaussian blobs around points evenly spaced on the unit circle."""
    return _build_classes("kblobs", n_samples, noise, seed, classes, _class_blob)


# ---------------------------------------------------------------- regression


def _build_curve(name: str, n_samples: int, noise: float, seed: int, f: Callable[[float], float]) -> Dataset:
    check_preset_args(n_samples, noise, seed)
    rng = random.Random(seed)
    xs = [rng.uniform(-1.0, 1.0) for _ in range(n_samples)]
    ys = [f(x) + rng.gauss(0.0, noise) for x in xs]
    recipe = Recipe(name, n_samples, float(noise), seed)
    return Dataset([[x] for x in xs], ys, name=name, task="regression", recipe=recipe)


def sine(n_samples: int = 60, noise: float = 0.05, seed: int = 0) -> Dataset:
    """y = sin(pi x): one whole period over x in [-1, 1]."""
    return _build_curve("sine", n_samples, noise, seed, lambda x: math.sin(math.pi * x))


def abs_x(n_samples: int = 60, noise: float = 0.05, seed: int = 0) -> Dataset:
    """y = |x|: a kink in the middle (what one ReLU draws)."""
    return _build_curve("abs", n_samples, noise, seed, abs)


def step(n_samples: int = 60, noise: float = 0.05, seed: int = 0) -> Dataset:
    """y = 0 left of 0, 1 right of it: a jump no smooth network draws exactly."""
    return _build_curve("step", n_samples, noise, seed, lambda x: 1.0 if x > 0 else 0.0)


def line(n_samples: int = 60, noise: float = 0.2, seed: int = 0) -> Dataset:
    """y = 0.8 x - 0.2 plus noise: the network should find the line, not the noise."""
    return _build_curve("line", n_samples, noise, seed, lambda x: 0.8 * x - 0.2)


def bump(n_samples: int = 200, noise: float = 0.02, seed: int = 0) -> Dataset:
    """z = exp(-2 (x^2 + y^2)) over [-1, 1]^2: a smooth hill, drawn as a heatmap."""
    check_preset_args(n_samples, noise, seed)
    rng = random.Random(seed)
    inputs = [[rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)] for _ in range(n_samples)]
    targets = [math.exp(-2.0 * (x * x + y * y)) + rng.gauss(0.0, noise) for x, y in inputs]
    recipe = Recipe("bump", n_samples, float(noise), seed)
    return Dataset(inputs, targets, name="bump", task="regression", recipe=recipe)


CLASS_PRESETS: dict[str, Callable[..., Dataset]] = {"arms": arms, "kblobs": kblobs}
REGRESSION_PRESETS: dict[str, Callable[..., Dataset]] = {
    "sine": sine,
    "abs": abs_x,
    "step": step,
    "line": line,
    "bump": bump,
}
# Every preset, two-class ones first: the CLI's and the Data panel's choices
ALL_PRESETS: dict[str, Callable[..., Dataset]] = {**PRESETS, **CLASS_PRESETS, **REGRESSION_PRESETS}


def preset_task(name: str) -> str:
    """The task of the preset called `name`."""
    if name in CLASS_PRESETS:
        return "classes"
    return "regression" if name in REGRESSION_PRESETS else "binary"

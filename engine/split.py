"""A held-out test set: part of the data the network never trains on, to see whether it generalises.

The split is a data setting (`TestSplit`: a fraction and a seed), not a change to the data:
the Data panel keeps every sample, and the trainer is handed the two parts. It is
deterministic (the same data, fraction and seed give the same parts, in the data's order)
and stratified for ±1 labels (each class gives its share, so 20 points with 30% held out
keep both classes on both sides). Fraction 0 means no test set.

>>> from engine.data import Dataset
>>> train, test = split_dataset(Dataset([[0.0], [1.0], [2.0], [3.0]], [1.0, 1.0, -1.0, -1.0]), 0.5, 0)
>>> len(train), len(test)
(2, 2)
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass, replace

from engine.data import Dataset
from engine.files import describe_value

FRACTION_RANGE = (0.0, 0.9)  # at least a tenth of the data is left to train on
SEED_RANGE = (0, 2**31 - 1)


class SplitError(ValueError):
    """A test split setting that cannot be used, with a message naming it."""


@dataclass
class TestSplit:
    """How much of the data is held out for testing, and the seed that picks which samples."""

    __test__ = False  # not a pytest test class, whatever its name says

    fraction: float = 0.0  # 0: no test set
    seed: int = 0

    def validate(self) -> None:
        low, high = FRACTION_RANGE
        fraction = self.fraction
        if (
            not isinstance(fraction, (int, float))
            or isinstance(fraction, bool)
            or not low <= fraction <= high
        ):
            raise SplitError(
                f"the test fraction must be a number from {low:g} to {high:g}, not {describe_value(fraction)}"
            )
        low, high = SEED_RANGE
        seed = self.seed
        if not isinstance(seed, int) or isinstance(seed, bool) or not low <= seed <= high:
            raise SplitError(
                f"the test split's seed must be a whole number from {low} to {high:,}, not {describe_value(seed)}"
            )

    @property
    def active(self) -> bool:
        return self.fraction > 0

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: object) -> TestSplit:
        """A checked TestSplit from a file's object (missing keys take their defaults)."""
        if not isinstance(raw, dict):
            raise SplitError(f"the test split must be an object, not {describe_value(raw)}")
        split = cls(raw.get("fraction", 0.0), raw.get("seed", 0))
        split.validate()
        split.fraction = float(split.fraction)
        return split

    def describe(self) -> str:
        return f"{self.fraction:.0%} held out for testing" if self.active else "no test set"


def held_out_indices(targets: list[float], fraction: float, seed: int) -> list[int]:
    """Which samples (0-based, ascending) are held out for testing.

    Classes (distinct targets, when there are few of them) each give round(fraction x their
    count) samples, and any other targets are drawn as one group; at least one sample is
    always left to train on, so a 1-sample dataset has no test set.
    """
    n = len(targets)
    if fraction <= 0 or n < 2:
        return []
    rng = random.Random(seed)
    chosen: list[int] = []
    for group in _groups(targets):
        count = min(_share(len(group), fraction), len(group))
        chosen += rng.sample(group, count)
    if len(chosen) >= n:  # never the whole dataset
        chosen = chosen[: n - 1]
    return sorted(chosen)


def _share(count: int, fraction: float) -> int:
    """round(count x fraction), halves rounded up (so 5 samples at 30% give 2, not 1)."""
    return math.floor(count * fraction + 0.5)


def _groups(targets: list[float]) -> list[list[int]]:
    """Sample indices grouped by class when the targets look like classes (at most 10 distinct
    whole numbers), else all in one group (regression targets)."""
    distinct = sorted(set(targets))
    if len(distinct) > 10 or any(t != int(t) for t in distinct):
        return [list(range(len(targets)))]
    return [[i for i, t in enumerate(targets) if t == label] for label in distinct]


def split_dataset(dataset: Dataset, test_fraction: float, seed: int = 0) -> tuple[Dataset, Dataset | None]:
    """(the training part, the test part or None): the samples keep their order within each part."""
    TestSplit(test_fraction, seed).validate()
    held = set(held_out_indices(dataset.targets, test_fraction, seed))
    if not held:
        return dataset, None
    train = [i for i in range(len(dataset)) if i not in held]
    return _subset(dataset, train, dataset.name), _subset(dataset, sorted(held), f"{dataset.name} (test)")


def _subset(dataset: Dataset, indices: list[int], name: str) -> Dataset:
    # replace(): any other field of the dataset (its kind of task, say) stays as it is
    return replace(
        dataset,
        inputs=[list(dataset.inputs[i]) for i in indices],
        targets=[dataset.targets[i] for i in indices],
        name=name,
    )

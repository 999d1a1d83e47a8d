"""A dataset's recipe in a session file: how its preset made it, so the Data panel can show it.

The recipe is an optional part of the file's dataset. One that is not a recipe this app
could have written (a preset it does not know, a seed out of range...) is refused with a
message naming its field. One that is well-formed but does not make the saved rows (the
file was edited, or the preset changed since) is not trusted: the dataset loads without it,
as data of unknown making.
"""

from __future__ import annotations

import math

from engine.data import DATA_SEED_RANGE, MAX_SAMPLES, NOISE_RANGE, DataError, Dataset, Recipe, short_text
from engine.problem_presets import ALL_PRESETS, CLASS_COUNT_RANGE


def recipe_to_dict(recipe: Recipe) -> dict:
    """The recipe as a session file holds it; `classes` only for a preset that takes it."""
    raw = {"preset": recipe.preset, "samples": recipe.samples, "noise": recipe.noise, "seed": recipe.seed}
    return raw if recipe.classes is None else {**raw, "classes": recipe.classes}


def recipe_from_dict(raw: object) -> Recipe:
    """A recipe of a session file; raises DataError, naming the field, if it is not one."""
    if not isinstance(raw, dict):
        raise DataError(f"its 'recipe' must be an object, not {short_text(raw)}")
    for key in ("preset", "samples", "noise", "seed"):
        if key not in raw:
            raise DataError(f"its 'recipe' is missing {key!r}")
    preset = raw["preset"]
    if not isinstance(preset, str) or preset not in ALL_PRESETS:
        raise DataError(
            f"the recipe's 'preset' must be one of {', '.join(ALL_PRESETS)}, not {short_text(preset)}"
        )
    samples = _whole_number(raw, "samples", (1, MAX_SAMPLES))
    noise = raw["noise"]
    if not (_is_number(noise) and NOISE_RANGE[0] <= noise <= NOISE_RANGE[1]):  # NaN fails too
        raise DataError(
            f"the recipe's 'noise' must be a number from {NOISE_RANGE[0]:g} to {NOISE_RANGE[1]:g}, "
            f"not {short_text(noise)}"
        )
    seed = _whole_number(raw, "seed", DATA_SEED_RANGE)
    classes = None if raw.get("classes") is None else _whole_number(raw, "classes", CLASS_COUNT_RANGE)
    return Recipe(preset, samples, float(noise), seed, classes)


def trusted_recipe(dataset: Dataset, recipe: Recipe) -> Recipe | None:
    """`recipe` if it makes exactly `dataset` (rows, targets, name and kind), else None."""
    if recipe.samples != len(dataset):  # cheap first: a hostile count costs nothing to make
        return None
    try:
        made = recipe.make()
    except DataError:  # e.g. more classes than samples
        return None
    same = (
        made.name == dataset.name
        and made.task == dataset.task
        and made.recipe == recipe
        and made.inputs == dataset.inputs
        and made.targets == dataset.targets
        and _same_zero_signs(made, dataset)
    )
    return recipe if same else None


def _same_zero_signs(a: Dataset, b: Dataset) -> bool:
    """Whether equal rows also agree on -0.0 and 0.0, which == does not tell apart (bits, not values,
    are what Regenerate must give back). Only the rows holding a zero are looked at, found by `in`."""
    pairs = [(row_a, row_b) for row_a, row_b in zip(a.inputs, b.inputs) if 0.0 in row_a]
    pairs.append((a.targets, b.targets))
    return all(
        math.copysign(1.0, x) == math.copysign(1.0, y)
        for row_a, row_b in pairs
        if 0.0 in row_a
        for x, y in zip(row_a, row_b)
        if x == 0.0
    )


def _whole_number(raw: dict, key: str, limits: tuple[int, int]) -> int:
    value = raw[key]
    low, high = limits
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DataError(
            f"the recipe's {key!r} must be a whole number from {low:,} to {high:,}, not {short_text(value)}"
        )
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)

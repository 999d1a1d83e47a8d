"""The Data panel's presets: their names in the menu and what each one teaches (tooltips)."""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker

from engine.data import Dataset
from engine.problem_presets import ALL_PRESETS, CLASS_PRESETS
from gui.panels.input_checks import DecimalSpinBox, WholeSpinBox

CUSTOM = "custom"
MAX_PANEL_SAMPLES = 2000

PRESET_TITLES = {
    "lecture": "Lecture (4 samples, 3 inputs)",
    "moons": "Moons",
    "circles": "Circles",
    "xor": "XOR",
    "spiral": "Spiral",
    "blobs": "Blobs",
    "arms": "Spiral arms (several classes)",
    "kblobs": "Blobs (several classes)",
    "sine": "Sine (regression)",
    "abs": "|x| (regression)",
    "step": "Step (regression)",
    "line": "Noisy line (regression)",
    "bump": "Bump, 2-D (regression)",
}
PRESET_TIPS = {
    "lecture": "The four examples from the lecture: xs with targets ys = [1, -1, -1, 1]",
    "moons": "Two interleaving half moons, as in micrograd's demo notebook: not separable by a line",
    "circles": "A small circle (+1) inside a big one (-1): the boundary has to bend all the way round",
    "xor": "Opposite quadrants share a class: no single neuron can do it, a hidden layer can",
    "spiral": "Two spirals wound into each other: a hard one that needs a bigger net and patience",
    "blobs": "Two clouds split by a straight line: one neuron is enough",
    "arms": "A spiral of k arms, one class per arm: softmax over k outputs, coloured by argmax",
    "kblobs": "k round clouds, one class each: lines between them are enough",
    "sine": "y = sin(πx) with a little noise: the network draws its curve through the points",
    "abs": "y = |x|: a kink that one ReLU draws, and tanh only rounds",
    "step": "y jumps from 0 to 1 at x = 0: no smooth network draws the jump exactly",
    "line": "A straight line under noise: a big network can chase the noise instead of the line",
    "bump": "A smooth hill over the plane, drawn as a heatmap of the network's output",
    CUSTOM: "Your own data: edited in the table, clicked on the plot, or imported from a CSV file",
}


def preset_keys() -> list[str]:
    """Every preset, in the menu's order: two classes, several classes, regression."""
    return list(ALL_PRESETS)


def has_classes_field(preset: str) -> bool:
    """Whether the preset takes a number of classes (the Classes field)."""
    return preset in CLASS_PRESETS


def copied_dataset(ds: Dataset) -> Dataset:
    """A copy that shares nothing that can change (its numbers are floats): as Dataset.copy(), whose
    deepcopy takes 10-20 ms for 2,000 rows, on every change of the data."""
    return Dataset([list(row) for row in ds.inputs], list(ds.targets), ds.name, ds.task, ds.recipe)


def show_recipe(
    ds: Dataset, samples: WholeSpinBox, noise: DecimalSpinBox, seed: WholeSpinBox, classes: WholeSpinBox
) -> bool:
    """Show in the fields how its preset made `ds`, if they can show it exactly; False (and the
    fields untouched) if it has no recipe, or one they cannot show (5,000 samples, noise 0.123)."""
    recipe = ds.recipe
    if recipe is None or recipe.preset != ds.name:
        return False
    values = {samples: recipe.samples, noise: recipe.noise, seed: recipe.seed}
    if recipe.classes is not None:
        values[classes] = recipe.classes
    if any(spin.problem_with_value(value) for spin, value in values.items()):
        return False
    for spin, value in values.items():
        set_quietly(spin, value)
    return True


def set_quietly(spin: WholeSpinBox | DecimalSpinBox, value: float) -> None:
    """Show `value` in a field without making data from it."""
    with QSignalBlocker(spin):
        spin.setValue(value)
    spin.refresh_check()  # its text is the new value: no mark or message of older text


def unknown_settings_note(ds: Dataset, fields_show_recipe: bool) -> str:
    """What the panel says when its fields cannot show how the preset data `ds` was made, or "".

    A session saved before recipes were (or one whose recipe does not make its rows) holds
    a preset's data without its noise and seed. The fields then keep the last values used,
    which is what Regenerate makes: they are not this data's, and a learner is told so
    rather than left to believe them (defaults would be no truer).
    """
    if ds.name not in ALL_PRESETS or ds.name == "lecture" or fields_show_recipe:
        return ""
    title = PRESET_TITLES.get(ds.name, ds.name).split(" (")[0]
    if (recipe := ds.recipe) is None:
        why = f"This {title} data was saved without its noise and seed, so the fields above are not its own"
    else:
        made = f"{recipe.samples:,} samples, noise {recipe.noise:g}, seed {recipe.seed}"
        why = f"This {title} data was made with {made}, which the fields above cannot show"
    return f"{why}: Regenerate makes new data from them."

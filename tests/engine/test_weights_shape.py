"""Weights compared with a model's shape without building the model (`network_shape`, `matches_shape`).

Import weights used to build the whole network (460,000 `Value`s for 8 x 256, a second in the
window's thread) only to compare shapes: the comparison from the spec must say exactly what
comparing with the built network says, and raise what building it raises.
"""

from __future__ import annotations

import pytest

from engine.spec import ModelSpec, SpecError
from engine.weights import ModelWeights

SPECS = [
    ModelSpec(),
    ModelSpec([4, 4], ["tanh", "tanh"], "tanh", seed=3),
    ModelSpec([3], ["relu"], "linear"),
    ModelSpec([4, 5], ["tanh", "tanh"], "tanh"),
    ModelSpec([], [], "sigmoid"),
    ModelSpec([8, 8], ["relu", "tanh"], "linear", extra_inputs=["x1^2", "x2^2"]),
    ModelSpec([4, 4], ["relu", "relu"], "tanh"),
]
DATA_SHAPES = [(2, 1), (3, 1), (2, 3)]  # (inputs, outputs) of the data


def weights_of(spec: ModelSpec, n_inputs: int, n_outputs: int) -> ModelWeights:
    return ModelWeights.from_model(spec.build(n_inputs, n_outputs))


# the files: every spec on every data shape it can take (engineered inputs need 2-D data)
FILES = [(spec, data) for spec in SPECS for data in DATA_SHAPES if not (spec.extra_inputs and data[0] != 2)]


@pytest.mark.parametrize(
    ("file_spec", "data"), FILES, ids=lambda v: v.describe(2) if isinstance(v, ModelSpec) else str(v)
)
def test_the_shape_check_says_what_the_built_network_says(file_spec, data):
    saved = weights_of(file_spec, *data)
    for spec in SPECS:
        for shown in DATA_SHAPES:
            try:
                expected = saved.matches(spec.build(*shown))
            except SpecError as exc:
                with pytest.raises(SpecError, match=str(exc)):
                    spec.network_shape(*shown)
                continue
            assert saved.matches_shape(*spec.network_shape(*shown)) == expected


def test_the_shape_of_the_largest_network_without_its_values():
    spec = ModelSpec([256] * 8, ["tanh"] * 8, "tanh")
    assert spec.network_shape(2, 1) == (2, [256] * 8 + [1], ["tanh"] * 9)


def test_a_spec_that_cannot_be_built_has_no_shape():
    with pytest.raises(SpecError, match="at most 256|from 1 to 256"):
        ModelSpec([300], ["tanh"], "tanh").network_shape(2)
    with pytest.raises(SpecError):
        ModelSpec([4], ["tanh"], "tanh", extra_inputs=["x1^2"]).network_shape(3)  # needs 2-D data

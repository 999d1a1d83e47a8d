"""A run's Trainer from what a session holds: raw data, a model spec, settings, a test split.

The one place where the two data settings of a run are applied, in this order, for the
window's training process, the headless `train` command and the lessons alike:
the test split picks the held-out samples of the raw data, then the model's input layer
adds its engineered inputs to both parts (engine/features.py).
"""

from __future__ import annotations

from engine.data import Dataset
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.split import TestSplit, split_dataset
from engine.train import Trainer
from engine.weights import ModelWeights


def network_parts(
    spec: ModelSpec, dataset: Dataset, split: TestSplit | None = None
) -> tuple[Dataset, Dataset | None]:
    """(training part, test part or None), each as the network sees it."""
    split = split or TestSplit()
    split.validate()
    train, test = split_dataset(dataset, split.fraction, split.seed)
    return spec.network_data(train), None if test is None else spec.network_data(test)


def build_trainer(
    spec: ModelSpec,
    dataset: Dataset,
    settings: TrainSettings,
    split: TestSplit | None = None,
    start_weights: ModelWeights | None = None,
) -> Trainer:
    """A Trainer on the training part, measuring the test part, from `start_weights` or fresh ones."""
    train, test = network_parts(spec, dataset, split)
    model = spec.build(
        dataset.n_inputs, dataset.n_outputs
    )  # from all the data: a class held out whole still has its output
    if start_weights is not None:
        start_weights.apply_to(model)
    return Trainer(model, train, settings, test_set=test)

"""The window's held-out test set and engineered inputs (a part of MainWindow).

The window keeps the raw data (the Data panel's) and two settings that shape what the
network sees: the test split (a data setting, in the Data panel) and the engineered inputs
(the Model panel's input layer). Here they reach the views: test samples drawn hollow, the
grid and the pictures given the same engineered inputs as the samples, the graph's and the
Network tab's input nodes named by their feature, and the network's own view of the data.
"""

from __future__ import annotations

from PySide6.QtCore import Slot

from engine.data import Dataset
from engine.run_setup import network_parts
from engine.spec import SpecError
from engine.split import TestSplit, held_out_indices


class TestSetActions:
    """A mixin of MainWindow: it reads the window's data, spec, split and views."""

    __test__ = False  # not a pytest test class

    @Slot(object)
    def _on_test_split_changed(self, split: TestSplit) -> None:
        question = "Changing the test set starts training over. Reset now?"
        if not self._change_confirmed(
            question, lambda: self.data_panel.test_split_field.set_split(self._split)
        ):
            return
        self._split = split
        self._show_test_split()
        self.reset()

    def _show_test_split(self) -> None:
        """Draw the held-out samples hollow and say how many there are."""
        split, dataset = self._split, self._dataset
        held = held_out_indices(dataset.targets, split.fraction, split.seed) if len(dataset) else []
        self.boundary_view.set_held_out(held)
        self.network_view.boundary.set_held_out(held)
        self.data_panel.test_split_field.show_counts(len(held), len(dataset))
        self.training_panel.set_sample_count(len(dataset) - len(held))  # what a step's loss sums over

    def _show_extra_inputs(self) -> None:
        """Tell the views which inputs the network takes (they follow with the next weights)."""
        spec, n_raw = self._spec, self._dataset.n_inputs
        extras = list(spec.extra_inputs) if n_raw == 2 else []
        names = spec.input_names(n_raw) if n_raw == 2 else []
        self.boundary_view.set_extra_inputs(extras)
        self.network_view.set_extra_inputs(extras, names)
        self.graph_view.set_input_names(names)

    def network_data(self) -> Dataset:
        """Every sample as the network sees it (engineered inputs appended), in the table's order."""
        key = (id(self._dataset), tuple(self._spec.extra_inputs))
        cached = getattr(self, "_network_data_cache", None)
        if cached is not None and cached[0] == key and cached[2] is self._dataset:
            return cached[1]
        try:
            data = self._spec.network_data(self._dataset)
        except SpecError:  # engineered inputs on data that is not 2-D: the Model panel says so
            data = self._dataset
        self._network_data_cache = (key, data, self._dataset)
        return data

    def network_training_data(self) -> Dataset:
        """The training part as the network sees it (what a run trains on)."""
        try:
            return network_parts(self._spec, self._dataset, self._split)[0]
        except (SpecError, ValueError):
            return self.network_data()

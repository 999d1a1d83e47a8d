"""The Network tab: the network as columns of neurons and links, beside the decision-boundary plot.

Each neuron is a small picture of its output over the input plane, each link a line coloured
by its weight's sign (or, with the switch, by the way the next step moves it) and as wide as
its size; dead ReLU and saturated neurons are marked, and the selected sample's value sits
under every neuron. Hovering a neuron draws its output large on the plot beside the diagram;
clicking a neuron shows its weights, bias, activation, value and grad on the sample and the
lecture's formula with those numbers; clicking a link (or a neuron, for its bias) lets the
user type a new value, sent out as `parameter_edited` (the window applies it everywhere).

All numbers come from a job in a thread (gui/views/network_numbers.py) on a weights
snapshot; only the newest snapshot's job runs, and the GUI thread only paints.
"""

from __future__ import annotations

import math
from functools import reduce
from operator import add, mul
from typing import TYPE_CHECKING

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.data import Dataset
from engine.network import parameter_index
from engine.train import MAX_PARAMETER
from engine.weights import ModelWeights
from gui.views.network_numbers import NetworkNumbers, NumbersRequest, compute_numbers
from gui.views.network_paint import NetworkCanvas

if TYPE_CHECKING:
    from gui.views.boundary_view import BoundaryView
from gui.widgets.latest_job import LatestJobThread

LONGEST_FLOAT = "-0.00012345678901234567"  # as wide as repr(float) gets, give or take a digit
FORMULA_TERMS = 4  # terms of w·x written out before "…"
HINT = (
    "Hover a neuron: its output on the plot · Click a neuron: its formula and numbers · "
    "Click a link: its weight, to edit"
)


class NetworkView(QWidget):
    parameter_edited = Signal(int, float)  # index in MLP.parameters() order, the value typed
    parameter_selected = Signal(str)  # the name of a clicked weight or bias ("w2.6.3", "b1.3")
    numbers_shown = Signal()  # the diagram shows the newest snapshot's numbers
    _job_done = Signal(object)

    def __init__(self, boundary: BoundaryView, parent: QWidget | None = None):
        """`boundary` is the plot beside the diagram, where a hovered neuron is drawn large (the
        window makes it: a view does not build another view)."""
        super().__init__(parent)
        self._weights: ModelWeights | None = None
        self._dataset: Dataset | None = None
        self._extras: tuple[str, ...] = ()  # engineered inputs: the plane stays x1, x2
        self._input_names: tuple[str, ...] = ()
        self._loss, self._l2 = "mse", 0.0
        self._sample = 0
        self._request: NumbersRequest | None = None
        self._editing: int | None = None  # the parameter the field edits
        self._jobs = LatestJobThread(self._job_done.emit, "network numbers")
        self._job_done.connect(self._on_numbers)
        self.destroyed.connect(self._jobs.close)
        self.canvas = NetworkCanvas()
        self.boundary = boundary
        self._build()

    def _build(self) -> None:
        self.gradient_check = QCheckBox("Colour links by gradient (where the next step moves each weight)")
        self.gradient_check.toggled.connect(self.canvas.set_by_gradient)
        self.sample_spin = QSpinBox()
        self.sample_spin.setPrefix("sample ")
        self.sample_spin.setMinimum(1)  # numbered as the data table's rows: from 1
        self.sample_spin.setToolTip(
            "The sample whose values the neurons show (also: select a row in the table)"
        )
        self.sample_spin.valueChanged.connect(self._on_sample_spin_value_changed)
        self.axes_label = QLabel("Pictures over")
        self.x_combo, self.y_combo = QComboBox(), QComboBox()
        self.held_label = QLabel("(other inputs at their mean)")
        for combo in (self.x_combo, self.y_combo):
            combo.currentIndexChanged.connect(self._on_axes_changed)
        bar = QHBoxLayout()
        for widget in (self.gradient_check, self.axes_label, self.x_combo, self.y_combo, self.held_label):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.sample_spin)
        splitter = QSplitter()
        splitter.addWidget(self.canvas)
        splitter.addWidget(self.boundary)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.details = QLabel(HINT)
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setStyleSheet("font-family: 'DejaVu Sans Mono', monospace; padding: 2px;")
        self._build_editor()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.details)
        layout.addLayout(self._editor_row)
        self.canvas.hovered.connect(self._on_hovered)
        self.canvas.neuron_clicked.connect(self._on_neuron_clicked)
        self.canvas.link_clicked.connect(self._on_link_clicked)
        self._show_axes_choice(2)

    def _build_editor(self) -> None:
        self.edit_label = QLabel()
        self.value_edit = QLineEdit()
        # wide enough for any float's repr (17 digits, sign, exponent): the number shows whole
        self.value_edit.setMinimumWidth(self.value_edit.fontMetrics().horizontalAdvance(LONGEST_FLOAT) + 16)
        self.value_edit.returnPressed.connect(self.apply_edit)
        self.set_button = QPushButton("Set")
        self.set_button.clicked.connect(self.apply_edit)
        self.edit_message = QLabel()
        self.edit_message.setStyleSheet("color: #c92a2a;")
        self._editor_row = QHBoxLayout()
        for widget in (self.edit_label, self.value_edit, self.set_button, self.edit_message):
            self._editor_row.addWidget(widget)
        self._editor_row.addStretch(1)
        self._show_editor(None)

    # ---- what the window gives

    def set_network(
        self, weights: ModelWeights, dataset: Dataset, loss: str, l2: float, threshold: float = 0.0
    ) -> None:
        """Show these weights on this data (the numbers follow from a thread: `numbers_shown`)."""
        if dataset is not self._dataset:
            self._dataset = dataset
            self.boundary.set_dataset(self._plane_data(dataset), refresh_output=False)
            self._show_axes_choice(2 if self._extras else dataset.n_inputs)
            self.sample_spin.setMaximum(max(len(dataset), 1))
            self._sample = min(self._sample, max(len(dataset) - 1, 0))  # fewer samples than before
        if self._weights is not None and self._weights.sizes != weights.sizes:
            self._select(None)  # another network: the old selection means nothing in it
        self._weights, self._loss, self._l2 = weights, loss, l2
        curve = dataset.task == "regression" and dataset.n_inputs == 1  # its plot is the fitted curve
        if dataset.n_inputs == 2 + len(self._extras) or curve:
            self.boundary.set_weights(weights, threshold, background=True)
        self._submit()

    def set_extra_inputs(self, extras: list[str], names: list[str]) -> None:
        """The network's engineered inputs (computed from x1, x2) and every input's name; the
        plane and its pictures stay over x1, x2. Takes effect with the next `set_network`."""
        if tuple(extras) != self._extras:
            self._dataset = None  # the same data is shown another way: set it again
        self._extras, self._input_names = tuple(extras), tuple(names)
        self.boundary.set_extra_inputs(extras)

    def _plane_data(self, dataset: Dataset) -> Dataset:
        """The samples over the plane: with engineered inputs, their raw x1, x2 only."""
        if not self._extras:
            return dataset
        return Dataset([row[:2] for row in dataset.inputs], list(dataset.targets), dataset.name)

    def _on_sample_spin_value_changed(self, number: int) -> None:
        self.set_sample(number - 1)

    def set_sample(self, index: int) -> None:
        """Show the numbers of sample `index` (0-based; the field shows it from 1, as the table does)."""
        if self._dataset is None or not 0 <= index < max(len(self._dataset), 1) or index == self._sample:
            return
        self._sample = index
        self.sample_spin.setValue(index + 1)
        self._submit()

    @property
    def numbers(self) -> NetworkNumbers | None:
        """The numbers on screen (for tests): pictures, the sample's pass, gradients, marks."""
        return self.canvas.numbers

    def shutdown(self) -> None:
        self._jobs.close()

    # ---- the job

    def _submit(self) -> None:
        weights, dataset = self._weights, self._dataset
        if weights is None or dataset is None or (len(dataset) and weights.inputs != dataset.n_inputs):
            return  # weights for other data: the window sends this data's weights next
        sizes = [weights.inputs, *weights.sizes]
        axes = (self.x_combo.currentIndex(), self.y_combo.currentIndex())
        request = NumbersRequest(
            weights,
            dataset.inputs,
            dataset.targets,
            self._loss,
            self._l2,
            self._sample if len(dataset) else None,
            axes if weights.inputs > 2 and not self._extras else (0, 1),
            self.canvas.wanted_counts(sizes),
            self._extras,
            self._input_names,
        )
        self._request = request
        self._jobs.submit(lambda: compute_numbers(request))

    def _on_numbers(self, numbers: NetworkNumbers) -> None:
        if numbers.request is not self._request:
            return  # an older snapshot's: the newest one's job follows
        self.canvas.set_numbers(numbers)
        self._show_details()
        self.numbers_shown.emit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        weights = self._weights
        if weights is not None and self._request is not None:
            wanted = self.canvas.wanted_counts([weights.inputs, *weights.sizes])
            if wanted != self._request.shown:
                self._submit()  # more (or fewer) neurons fit: their pictures are needed

    # ---- inputs to picture over

    def _show_axes_choice(self, inputs: int) -> None:
        many = inputs > 2
        for widget in (self.axes_label, self.x_combo, self.y_combo, self.held_label):
            widget.setVisible(many)
        names = [f"x{i + 1}" for i in range(inputs)]
        for combo, chosen in ((self.x_combo, 0), (self.y_combo, 1)):
            with QSignalBlocker(combo):  # one new picture below, not one per item
                combo.clear()
                combo.addItems(names)
                combo.setCurrentIndex(min(chosen, inputs - 1))

    def _on_axes_changed(self, _index: int) -> None:
        self._submit()

    # ---- hover and clicks

    def _on_hovered(self, column: int, index: int) -> None:
        if column >= 1:
            self.boundary.show_neuron(column - 1, index)
        else:
            self.boundary.show_output()

    def _on_neuron_clicked(self, column: int, index: int) -> None:
        self._select(("neuron", column, index))

    def _on_link_clicked(self, column: int, target: int, source: int) -> None:
        self._select(("link", column, target, source))

    def _select(self, selected: tuple | None) -> None:
        self.canvas.selected = selected
        self.canvas.update()
        weights = self._weights
        editing = None
        if selected and weights is not None and selected[1] >= 1:
            layer = selected[1] - 1
            editing = parameter_index(
                weights, layer, selected[2], selected[3] if selected[0] == "link" else None
            )
        self._show_editor(editing)
        self._show_details()

    def _show_editor(self, index: int | None) -> None:
        self._editing = index
        for widget in (self.edit_label, self.value_edit, self.set_button, self.edit_message):
            widget.setVisible(index is not None)
        self.edit_message.clear()
        if index is None or self._weights is None:
            return
        kind, name, value = _parameter(self._weights, self.canvas.selected)
        self.parameter_selected.emit(name)
        self.edit_label.setText(f"New value of {kind} {name}:")
        text = repr(value)
        self.value_edit.setText(text)
        self.value_edit.setSelection(len(text), -len(text))  # all selected, its start in sight

    def apply_edit(self) -> None:
        """The typed value, if it is a usable number, for the parameter being edited."""
        if self._editing is None:
            return
        text = self.value_edit.text().strip().replace("−", "-")
        try:
            value = float(text)
        except ValueError:
            self.edit_message.setText(f"“{text}” is not a number: type one, e.g. 0.5 or -1.2e-3")
            return
        if not math.isfinite(value) or abs(value) > MAX_PARAMETER:
            self.edit_message.setText(f"Type a finite number no larger than {MAX_PARAMETER:g} in size")
            return
        self.edit_message.clear()
        self.parameter_edited.emit(self._editing, value)

    # ---- the details line

    def _show_details(self) -> None:
        numbers, selected = self.canvas.numbers, self.canvas.selected
        if numbers is None:
            self.details.setText(HINT)
            return
        lines = [_summary(numbers, self._dataset)]
        if selected and selected[0] == "neuron":
            lines += _neuron_text(numbers, *selected[1:])
        elif selected and selected[0] == "link":
            lines += _link_text(numbers, *selected[1:])
        else:
            lines.append(HINT)
        self.details.setText("<br>".join(lines))


# ---------------------------------------------------------------- texts


def _g(value: float) -> str:
    text = f"{value:.4g}"
    return f"({text})" if value < 0 else text


def _summary(numbers: NetworkNumbers, dataset: Dataset | None) -> str:
    parts = []
    if numbers.gradients is not None:
        parts.append(
            f"loss on all {len(numbers.request.inputs)} samples: <b>{numbers.gradients.loss:.6g}</b>"
        )
    sample = numbers.request.sample
    if sample is not None and dataset is not None and sample < len(dataset):
        x = ", ".join(f"{v:.3g}" for v in dataset.inputs[sample])
        parts.append(f"sample {sample + 1}: x = ({x}), target {dataset.targets[sample]:g}")
    return " · ".join(parts)


def _inputs_to(numbers: NetworkNumbers, column: int) -> list[float] | None:
    values = numbers.sample_values
    return values[column - 1] if values else None


def _neuron_text(numbers: NetworkNumbers, column: int, index: int) -> list[str]:
    values = numbers.sample_values
    if column == 0:
        value = f" = {values[0][index]:.6g} on the sample" if values else ""
        return [f"<b>input {numbers.request.input_name(index)}</b>{value}"]
    weights = numbers.request.weights
    layer = weights.layers[column - 1]
    row, bias, act = layer.weight[index], layer.bias[index], layer.activation
    name = f"neuron {column}.{index + 1}"
    w = ", ".join(f"{v:.4g}" for v in row[:8]) + (", …" if len(row) > 8 else "")
    lines = [f"<b>{name}</b> · {act} · w = [{w}] · b = {bias:.4g}"]
    inputs = _inputs_to(numbers, column)
    terms = [
        (f"w{i + 1}·x{i + 1}", f"{_g(wi)}·{_g(xi)}") for i, (wi, xi) in enumerate(zip(row, inputs or row))
    ]
    shown = terms if len(terms) <= FORMULA_TERMS else [*terms[:2], ("…", "…"), terms[-1]]
    symbols = " + ".join([t[0] for t in shown] + ["b"])
    wrap = (lambda s: s) if act == "linear" else (lambda s: f"{act}({s})")
    lines.append(wrap(symbols) + ("" if column == 1 else f"   (x: layer {column - 1}'s outputs)"))
    if inputs is not None:
        z = reduce(add, map(mul, row, inputs), bias)
        out = values[column][index]
        filled = " + ".join([t[1] for t in shown] + [_g(bias)])
        lines.append(f"= {wrap(filled)} = {wrap(f'{z:.6g}')} = <b>{out:.6g}</b>")
        grads = numbers.gradients
        if grads is not None:
            grad = grads.neuron[column - 1][numbers.request.sample, index]
            lines.append(f"grad on this sample: ∂loss/∂out = {grad:.6g}")
    return lines


def _link_text(numbers: NetworkNumbers, column: int, target: int, source: int) -> list[str]:
    weights = numbers.request.weights
    value = weights.layers[column - 1].weight[target][source]
    origin = (
        f"input {numbers.request.input_name(source)}" if column == 1 else f"neuron {column - 1}.{source + 1}"
    )
    text = f"<b>weight w{column}.{target + 1}.{source + 1}</b> from {origin} to neuron {column}.{target + 1}"
    text += f" · data = {value:.6g}"
    if numbers.gradients is not None:
        grad = float(numbers.gradients.weight[column - 1][target, source])
        moves = "down" if grad > 0 else "up" if grad < 0 else "nowhere"
        text += f" · grad = {grad:.6g} (the next step moves it {moves})"
    return [text]


def _parameter(weights: ModelWeights, selected: tuple) -> tuple[str, str, float]:
    """("weight" or "bias", its name, its value) for a selected link or neuron."""
    column, target = selected[1], selected[2]
    layer = weights.layers[column - 1]
    if selected[0] == "link":
        return "weight", f"w{column}.{target + 1}.{selected[3] + 1}", layer.weight[target][selected[3]]
    return "bias", f"b{column}.{target + 1}", layer.bias[target]

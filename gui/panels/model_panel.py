"""The Model panel: hidden layer sizes, an activation per layer, the output activation and the seed.

It edits a `ModelSpec` and never builds a network itself: the summary's numbers
come from the spec (`parameter_count`, `graph_size`), so typing stays instant.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from engine.nn import ACTIVATIONS
from engine.spec import (
    LAYERS_FIELD,
    MAX_HIDDEN_LAYERS,
    MAX_LAYER_SIZE,
    MODEL_SEED_RANGE,
    ModelSpec,
    SpecError,
    parse_layer_sizes,
)
from gui.panels.extra_inputs_field import TOOLTIP as EXTRAS_TIP
from gui.panels.extra_inputs_field import ExtraInputsField
from gui.panels.fresh_weights import FRESH_WEIGHTS
from gui.panels.input_checks import WholeSpinBox, with_message
from gui.panels.training_tips import listed_tip
from gui.widgets.style import ERROR_COLOR, smaller_font

# why Train and Step are off while the layer sizes do not parse: the field, by its label
FIX_LAYERS_FIRST = f"Fix {LAYERS_FIELD} in the Model panel first"

ACTIVATION_TIPS = {
    "tanh": "tanh(w·x + b): squashes into (-1, 1). The lecture's choice.",
    "relu": "relu(w·x + b) = max(0, w·x + b): micrograd's demo uses it in the hidden layers.",
    "sigmoid": "sigmoid(w·x + b) = 1 / (1 + e^-(w·x + b)): squashes into (0, 1).",
    "linear": "w·x + b as it is, no activation: micrograd's demo uses it for the output neuron.",
}

NEURON_TIP = (
    "Each neuron computes act(w·x + b): a weight per input, a bias, and an activation "
    "(the lecture's neuron is tanh(w·x + b))."
)

LAYERS_TIP = (
    "<p>Hidden layer sizes, separated by commas. <b>4, 4</b> is the lecture's MLP(3, [4, 4, 1]): "
    "two hidden layers of 4 neurons, then one output neuron.</p>"
    f"<p>{NEURON_TIP} A Layer is a list of neurons that all see the same inputs; an MLP is a list "
    "of layers, each feeding the next.</p>"
    f"<p>Leave it empty for a single neuron. At most {MAX_HIDDEN_LAYERS} layers of "
    f"{MAX_LAYER_SIZE} neurons: every number is a Python object here, so small nets train live.</p>"
)

HIDDEN_ACTIVATION_TIP = listed_tip("The activation of every neuron in this layer.", ACTIVATION_TIPS)

OUTPUT_TIP = (
    "<p>The activation of the output neuron. The lecture uses tanh, so predictions lie in (-1, 1) "
    "like its targets +1 / -1. micrograd's demo leaves the output linear and trains it with the "
    "hinge loss.</p><p>"
    + "<br>".join(f"<b>{name}</b>: {tip}" for name, tip in ACTIVATION_TIPS.items())
    + "</p>"
)

# A model this large makes every change costly downstream (fresh weights, the decision
# boundary's grid: about a second for 8 layers of 256): typed layer sizes that reach it
# are passed on when typing pauses (or on Enter, or leaving the field), not at every key.
LARGE_MODEL_PARAMETERS = 5_000
TYPING_PAUSE_MS = 400
# Their fresh weights are made in a thread once the typing has paused this long: one network
# per burst of keys (not one per key, each holding the interpreter), ready before TYPING_PAUSE_MS
PREPARE_PAUSE_MS = 150

SEED_TIP = (
    "Seed of the random initial weights and biases (each drawn uniformly from -1 to 1, as in the "
    "lecture). The same seed builds the same network, so two runs can be compared; Reset rebuilds it."
)


class ModelPanel(QWidget):
    """Edits the MLP to train; emits `spec_changed` with each valid `ModelSpec` the user makes."""

    spec_changed = Signal(object)  # a valid ModelSpec
    validity_changed = Signal(bool)

    def __init__(self, parent: QWidget | None = None, n_inputs: int = 3) -> None:
        super().__init__(parent)
        self._n_inputs = n_inputs
        self._n_outputs = 1  # one per class for several classes
        self._valid = True
        self._last_emitted = ModelSpec()
        self.activation_combos: list[QComboBox] = []
        self._activation_labels: list[QLabel] = []
        self._removed_choices: dict[int, str] = {}  # layer index -> activation of a row typed away

        self.layers_edit = QLineEdit("4, 4")
        self.layers_edit.setPlaceholderText("none: one neuron")
        self.layers_edit.setToolTip(LAYERS_TIP)
        self.layers_edit.setProperty("invalid", False)
        self.layers_edit.setStyleSheet(
            f'QLineEdit[invalid="true"] {{ border: 2px solid {ERROR_COLOR}; border-radius: 3px; padding: 1px; }}'
        )
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error_label.setFont(smaller_font(self.error_label))
        self.error_label.hide()
        layers_field = QWidget()
        column = QVBoxLayout(layers_field)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.layers_edit)
        column.addWidget(self.error_label)

        self.output_combo = self._make_combo("tanh", OUTPUT_TIP)
        # takes any text, and refuses what it cannot use visibly (QSpinBox dropped the "-" of "-5")
        self.seed_spin = WholeSpinBox("Seed", *MODEL_SEED_RANGE)
        self.seed_spin.setKeyboardTracking(False)
        self.seed_spin.setToolTip(SEED_TIP)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setFont(smaller_font(self.summary_label))
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self._form = QFormLayout(self)
        self._form.setContentsMargins(0, 0, 0, 0)
        self._form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        hidden_label = QLabel(LAYERS_FIELD)  # as its messages name it
        hidden_label.setToolTip(LAYERS_TIP)
        self._form.addRow(hidden_label, layers_field)
        self.output_label = QLabel("Output · 1 neuron")
        self.output_label.setToolTip(OUTPUT_TIP)
        self._form.addRow(self.output_label, self.output_combo)
        seed_label = QLabel("Seed")
        seed_label.setToolTip(SEED_TIP)
        seed_field, self.seed_message = with_message(self.seed_spin)
        self._form.addRow(seed_label, seed_field)
        self.extra_inputs_field = ExtraInputsField()  # gui/panels/extra_inputs_field.py
        extras_label = QLabel("Extra inputs")
        extras_label.setToolTip(EXTRAS_TIP)
        self._form.addRow(extras_label, self.extra_inputs_field)
        self._form.addRow(self.summary_label)
        self._show_layers([4, 4])
        self._update_summary()

        self._typing_pause = QTimer(self)
        self._typing_pause.setSingleShot(True)
        self._typing_pause.setInterval(TYPING_PAUSE_MS)
        self._typing_pause.timeout.connect(self._on_user_change)
        self._prepare_pause = QTimer(self)
        self._prepare_pause.setSingleShot(True)
        self._prepare_pause.setInterval(PREPARE_PAUSE_MS)
        self._prepare_pause.timeout.connect(self._prepare_weights)
        # textChanged, not textEdited: text pasted, dropped or set from code is checked as typing is
        self.layers_edit.textChanged.connect(self._on_layers_edit_text_edited)
        self.layers_edit.editingFinished.connect(self.commit_pending)
        self.output_combo.currentIndexChanged.connect(self._on_user_change)
        self.seed_spin.valueChanged.connect(self._on_user_change)
        self.extra_inputs_field.changed.connect(self._on_user_change)
        self.extra_inputs_field.set_n_inputs(self._n_inputs)

    # ---- public API

    def spec(self) -> ModelSpec | None:
        """The model the widgets describe, or None while the layer sizes do not parse."""
        if not self._valid:
            return None
        return ModelSpec(
            hidden_sizes=parse_layer_sizes(self.layers_edit.text()),
            hidden_activations=[c.currentData() for c in self.activation_combos],
            output_activation=self.output_combo.currentData(),
            seed=self.seed_spin.value(),
            extra_inputs=self.extra_inputs_field.extras(),
        )

    def spec_problem(self, spec: ModelSpec) -> str:
        """Why the panel cannot show `spec` exactly (a layer size, a seed outside its field), or ""."""
        try:
            spec.validate()
        except SpecError as exc:
            return str(exc)
        high = self.seed_spin.maximum()
        if isinstance(spec.seed, bool) or not isinstance(spec.seed, int) or not 0 <= spec.seed <= high:
            return f"the model's seed must be a whole number from 0 to {high}, not {spec.seed!r}"
        return ""

    def set_spec(self, spec: ModelSpec) -> None:
        """Show `spec` without emitting `spec_changed` (raises SpecError, changing nothing, if it cannot).

        Emits `validity_changed(True)` if the panel was showing invalid input.
        """
        if problem := self.spec_problem(spec):
            raise SpecError(problem)
        self._typing_pause.stop()  # what was being typed is replaced
        self._removed_choices.clear()
        with QSignalBlocker(self.layers_edit):  # the spec is shown, not typed: nothing to emit
            self.layers_edit.setText(", ".join(str(n) for n in spec.hidden_sizes))
        self._show_layers(spec.hidden_sizes)
        for combo, activation in zip(self.activation_combos, spec.hidden_activations):
            _select(combo, activation)
        _select(self.output_combo, spec.output_activation)
        with QSignalBlocker(self.seed_spin):
            self.seed_spin.setValue(spec.seed)
        self.seed_spin.refresh_check()  # no mark or message of text this value replaced
        self.extra_inputs_field.set_extras(spec.extra_inputs)
        self._set_valid(True)
        self._last_emitted = self.spec()

    def set_n_inputs(self, n: int, n_outputs: int = 1) -> None:
        """The data's column count (the network's input size) and its outputs (one per class), for the summary."""
        self._n_inputs, self._n_outputs = n, n_outputs
        self.extra_inputs_field.set_n_inputs(n)  # unchecked and disabled unless the data is 2-D
        # several classes: one output neuron per class, whose largest output is the predicted class
        self.output_label.setText(f"Output · {n_outputs} neuron{'s' if n_outputs != 1 else ''}")
        self._update_summary()

    def is_valid(self) -> bool:
        return self._valid

    # ---- slots

    def _on_layers_edit_text_edited(self, text: str) -> None:
        try:
            sizes = parse_layer_sizes(text)
        except SpecError as exc:
            self._typing_pause.stop()
            self._show_invalid(str(exc))
            return
        except ValueError:  # a parser that let odd digits ("²", "①") through to int()
            self._typing_pause.stop()
            self._show_invalid(f"{LAYERS_FIELD}: write whole numbers like 4, 4")
            return
        self._show_layers(sizes)
        self._set_valid(True)
        spec = self.spec()
        if (
            spec is not None
            and spec.parameter_count(self._n_inputs, self._n_outputs) > LARGE_MODEL_PARAMETERS
        ):
            self._update_summary()
            self._typing_pause.start()  # passed on when the typing pauses
            self._prepare_pause.start()  # its fresh weights made meanwhile, in a thread
            return
        self._typing_pause.stop()
        self._on_user_change()

    def _prepare_weights(self) -> None:
        """The typing paused on a large model: make its fresh weights in a thread, for the window's
        reset to take when the change is passed on (gui/panels/fresh_weights.py)."""
        spec = self.spec()
        if spec is not None and self._typing_pause.isActive():
            FRESH_WEIGHTS.prepare(spec, self._n_inputs, self._n_outputs)

    def commit_pending(self) -> None:
        """Pass on layer sizes still waiting for the typing to pause (Enter, leaving the field, Train)."""
        if self._typing_pause.isActive():
            self._typing_pause.stop()
            self._on_user_change()

    @property
    def change_pending(self) -> bool:
        """Typed layer sizes not passed on yet (`spec()` already shows them)."""
        return self._typing_pause.isActive()

    def _on_user_change(self) -> None:
        spec = self.spec()
        if spec is None:
            return
        self._update_summary()
        if spec != self._last_emitted:
            self._last_emitted = spec
            self.spec_changed.emit(spec)

    # ---- helpers

    def _make_combo(self, activation: str, tip: str) -> QComboBox:
        combo = QComboBox()
        for name in ACTIVATIONS:
            combo.addItem(name, name)
            combo.setItemData(combo.count() - 1, ACTIVATION_TIPS.get(name, ""), Qt.ItemDataRole.ToolTipRole)
        _select(combo, activation)
        combo.setToolTip(tip)
        return combo

    def _show_layers(self, sizes: list[int]) -> None:
        """One activation row per hidden layer: keep existing choices, add rows with the last one's.

        A row removed while typing ("4, 4" passes through "4") keeps its choice for when it comes back.
        """
        while len(self.activation_combos) > len(sizes):
            index = len(self.activation_combos) - 1
            self._removed_choices[index] = self.activation_combos.pop().currentData()
            self._activation_labels.pop()
            self._form.removeRow(index + 1)
        while len(self.activation_combos) < len(sizes):
            previous = self.activation_combos[-1].currentData() if self.activation_combos else "tanh"
            choice = self._removed_choices.pop(len(self.activation_combos), previous)
            combo = self._make_combo(choice, HIDDEN_ACTIVATION_TIP)
            combo.currentIndexChanged.connect(self._on_user_change)
            label = QLabel()
            label.setToolTip(f"{NEURON_TIP} This row chooses act for the neurons of this layer.")
            self._form.insertRow(len(self.activation_combos) + 1, label, combo)
            self.activation_combos.append(combo)
            self._activation_labels.append(label)
        for i, (label, n) in enumerate(zip(self._activation_labels, sizes)):
            label.setText(f"Layer {i + 1} · {n} neuron{'s' if n != 1 else ''}")

    def _show_invalid(self, message: str) -> None:
        self.error_label.setText(message)  # before validity_changed, so listeners read this message
        self._set_valid(False)

    def _set_valid(self, valid: bool) -> None:
        changed = valid != self._valid
        self._valid = valid
        self.layers_edit.setProperty("invalid", not valid)
        self.layers_edit.style().unpolish(self.layers_edit)
        self.layers_edit.style().polish(self.layers_edit)
        self.error_label.setVisible(not valid)
        self.summary_label.setEnabled(valid)
        if valid:
            self.error_label.clear()
            self._update_summary()
        if changed:
            self.validity_changed.emit(valid)

    def _update_summary(self) -> None:
        spec = self.spec()
        if spec is None:
            return
        n, outputs = self._n_inputs, self._n_outputs
        sizes = "-".join(str(k) for k in [spec.network_inputs(n), *spec.layer_sizes(outputs)])
        expanded, fused = spec.graph_size(n, outputs)
        count = spec.parameter_count(n, outputs)
        self.summary_label.setText(
            f"MLP {sizes} · {count} parameter{'s' if count != 1 else ''}\n"
            f"{expanded} graph nodes per sample ({fused} fused)"  # fits 330 px; the tooltip explains
        )
        self.summary_label.setToolTip(
            f"<p>{spec.describe(n, outputs)}, for data with {n} input column{'s' if n != 1 else ''}.</p>"
            "<p>Parameters: a weight per input and a bias, for every neuron.</p>"
            f"<p>Graph nodes: drawn the lecture's way, each neuron is a leaf per weight and bias, a * and "
            f"a + per input, and its activation: {expanded} nodes for one forward pass of one sample. "
            f"The engine stores each neuron as one node over the same leaves: {fused}.</p>"
        )


def _select(combo: QComboBox, key: str) -> None:
    """Select the item whose data is `key`, without emitting (a programmatic change)."""
    index = combo.findData(key)
    if index >= 0:
        with QSignalBlocker(combo):
            combo.setCurrentIndex(index)

"""The Data panel: a preset picker, an editable table of samples, and CSV import/export.

The panel owns the current dataset. Every change the user makes that leaves a valid
dataset is emitted as a copy through `dataset_changed`. A cell edited to text that is
not a number goes back to its number, and `error_label` says so: the table always
shows the data that trains. A file that cannot be read or written changes nothing and
is reported through `file_failed`, with the whole message.

The table is a view of the dataset (`SampleTableModel`, in sample_table.py), not a grid
of items: showing 2,000 imported rows costs what showing 10 does.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from engine.data import DATA_SEED_RANGE, NOISE_RANGE, DataError, Dataset, make_preset
from engine.problem_presets import ALL_PRESETS, CLASS_COUNT_RANGE
from engine.tasks import TaskError, check_classes, check_target
from gui.panels.data_files import IMPORT_AS, CsvFiles
from gui.panels.data_presets import (
    CUSTOM,
    MAX_PANEL_SAMPLES,
    PRESET_TIPS,
    PRESET_TITLES,
    copied_dataset,
    has_classes_field,
    preset_keys,
    set_quietly,
    show_recipe,
    unknown_settings_note,
)
from gui.panels.input_checks import (
    DecimalSpinBox,
    WholeSpinBox,
    message_label,
    show_field_message,
)
from gui.panels.sample_table import (
    NumberDelegate,
    SampleTable,
    SampleTableModel,
    format_cell,
    parse_number,
    summarize,
)
from gui.panels.test_split_field import TestSplitField
from gui.widgets.style import ERROR_BACKGROUND, ERROR_COLOR

INVALID_BACKGROUND = QColor(ERROR_BACKGROUND)  # behind text being typed that is not a number


class DataPanel(CsvFiles, QWidget):
    """Presets, sample table and CSV files for the dataset the model trains on."""

    dataset_changed = Signal(object)  # a copy of the new (valid) Dataset
    file_failed = Signal(str, str)  # title, the whole message: a CSV file could not be read or written

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._dataset = make_preset("lecture")
        self._preset = "lecture"  # the preset that Regenerate makes (the last one chosen)
        self._fields_show_recipe = True  # whether the fields say how the dataset shown was made
        self._typing_error = ""  # the complaint about text in an open cell editor, gone with the editor
        self._last_dir = ""
        self._build()
        self._show_dataset(self._dataset, preset="lecture")

    # ---------------------------------------------------------------- layout

    def _build(self) -> None:
        self.preset_combo = QComboBox()
        for key in preset_keys():
            self.preset_combo.addItem(PRESET_TITLES.get(key, key.title()), key)
            self.preset_combo.setItemData(
                self.preset_combo.count() - 1, PRESET_TIPS.get(key), Qt.ItemDataRole.ToolTipRole
            )
        self.preset_combo.setToolTip("Which data the network learns from; editing the table makes it Custom")
        self.preset_combo.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        self.samples_spin = WholeSpinBox("Samples", 1, MAX_PANEL_SAMPLES)
        self.samples_spin.setValue(100)
        self.samples_spin.setToolTip("How many examples to make (half of each class)")
        self.noise_spin = DecimalSpinBox("Noise", *NOISE_RANGE, 2)
        self.noise_spin.setSingleStep(0.05)
        self.noise_spin.setValue(0.1)
        self.noise_spin.setToolTip("How far the points scatter from the clean shape (std of Gaussian noise)")
        self.seed_spin = WholeSpinBox("Seed", *DATA_SEED_RANGE)
        self.seed_spin.setToolTip("The random seed: the same seed always makes the same points")
        self.classes_spin = WholeSpinBox("Classes", *CLASS_COUNT_RANGE)
        self.classes_spin.setValue(3)
        self.classes_spin.setToolTip("How many classes (arms, blobs) the several-class presets make")
        # what is wrong with a number typed above, right under them
        self.settings_message = message_label()
        # when the fields cannot show how the preset data shown was made (unknown_settings_note)
        self.unknown_settings_label = QLabel(wordWrap=True)
        self.unknown_settings_label.hide()
        self.number_fields = (self.samples_spin, self.noise_spin, self.seed_spin, self.classes_spin)
        for spin in self.number_fields:
            # one dataset per finished edit, not one per keystroke ("150" is not 1, 15, 150)
            spin.setKeyboardTracking(False)
            spin.setAlignment(Qt.AlignmentFlag.AlignRight)
            spin.valueChanged.connect(self._on_spin_value_changed)
            spin.checked.connect(lambda: show_field_message(self.settings_message, list(self.number_fields)))

        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.clicked.connect(self._on_regenerate_clicked)

        # a regression's range can be long: it wraps, never widens the column
        self.summary_label = QLabel(wordWrap=True)
        palette = self.summary_label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, palette.color(QPalette.ColorRole.PlaceholderText))
        self.summary_label.setPalette(palette)
        self.summary_label.setToolTip("ys: the targets the network's output should match")
        self.task_note = QLabel()  # after an import: what its targets were read as, and why
        self.task_note.setWordWrap(True)
        self.task_note.setPalette(palette)
        self.task_note.hide()

        self.table_model = SampleTableModel(self._dataset, self._commit_cell_text, self)
        self.table = SampleTable(self.table_model)
        delegate = NumberDelegate(self.table, self._on_editor_text_edited)
        # an editor closed with Esc leaves no "as you type" complaint behind
        delegate.closeEditor.connect(lambda *_: self._drop_typing_error())
        self.table.setItemDelegate(delegate)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setHighlightSections(False)
        vertical = self.table.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 6)
        vertical.setDefaultAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.table.setToolTip(
            "One row per example: the inputs xs and the target y. Double-click a cell to edit it"
        )

        self.add_row_button = QPushButton("Add row")
        self.add_row_button.setToolTip("Append an example (inputs 0, target +1) to edit in the table")
        self.add_row_button.clicked.connect(self._on_add_row_clicked)
        self.delete_rows_button = QPushButton("Delete rows")
        self.delete_rows_button.setToolTip("Delete the selected examples")
        self.delete_rows_button.clicked.connect(self._on_delete_rows_clicked)
        self.import_button = QPushButton("Import CSV…")
        self.import_button.setToolTip(
            "Load examples from a CSV file: a header, then the inputs with the target last"
        )
        self.import_button.clicked.connect(self._on_import_clicked)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save these examples as CSV (x1, …, y), every digit kept")
        self.export_button.clicked.connect(self._on_export_clicked)
        self.import_as_combo = QComboBox()
        for key, title in IMPORT_AS.items():
            self.import_as_combo.addItem(title, key)
        self.import_as_combo.setToolTip(
            "What an imported CSV's targets are. Detect: all +1/-1 is two classes; whole numbers "
            "0 to k-1 (k of 3 or more, each used) are several classes; anything else is regression"
        )

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()

        preset_row = QHBoxLayout()
        preset_label = QLabel("Preset")
        preset_label.setBuddy(self.preset_combo)
        preset_row.addWidget(preset_label)
        preset_row.addWidget(self.preset_combo, 1)

        settings = QGridLayout()
        settings.setHorizontalSpacing(6)
        settings.addWidget(QLabel("Samples"), 0, 0)
        settings.addWidget(self.samples_spin, 0, 1)
        settings.addWidget(QLabel("Noise"), 0, 2)
        settings.addWidget(self.noise_spin, 0, 3)
        settings.addWidget(QLabel("Seed"), 1, 0)
        settings.addWidget(self.seed_spin, 1, 1)
        settings.addWidget(QLabel("Classes"), 1, 2)
        settings.addWidget(self.classes_spin, 1, 3)
        settings.addWidget(self.regenerate_button, 2, 0, 1, 4)
        settings.setColumnStretch(1, 1)
        settings.setColumnStretch(3, 1)

        buttons = QGridLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.add_row_button, 0, 0)
        buttons.addWidget(self.delete_rows_button, 0, 1)
        buttons.addWidget(self.import_button, 1, 0)
        buttons.addWidget(self.export_button, 1, 1)
        import_as = QHBoxLayout()
        import_as.addWidget(QLabel("Import as"))
        import_as.addWidget(self.import_as_combo, 1)

        self.test_split_field = TestSplitField()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(preset_row)
        layout.addLayout(settings)
        layout.addWidget(self.settings_message)
        layout.addWidget(self.unknown_settings_label)
        layout.addWidget(self.test_split_field)  # gui/panels/test_split_field.py
        layout.addWidget(self.table, 1)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.task_note)
        layout.addLayout(buttons)
        layout.addLayout(import_as)
        layout.addWidget(self.error_label)

        self.preset_combo.currentIndexChanged.connect(self._on_preset_combo_index_changed)

    # ---------------------------------------------------------------- public API

    def dataset(self) -> Dataset:
        """A copy of the current (last valid) dataset."""
        return copied_dataset(self._dataset)

    def set_dataset(self, ds: Dataset) -> None:
        """Show `ds` without emitting `dataset_changed`; raises DataError if it is not valid."""
        ds.validate()
        rows = [[float(v) for v in row] for row in ds.inputs]
        ds = Dataset(rows, [float(t) for t in ds.targets], ds.name, ds.task, ds.recipe)
        preset = ds.name if ds.name in ALL_PRESETS else CUSTOM
        # with its recipe shown, Regenerate makes these very rows again
        self._fields_show_recipe = preset != CUSTOM and show_recipe(ds, *self.number_fields)
        generated = preset not in (CUSTOM, "lecture")
        if generated and not self._fields_show_recipe and len(ds) <= MAX_PANEL_SAMPLES:
            set_quietly(self.samples_spin, len(ds))  # without a recipe, its count at least is known
        if has_classes_field(preset) and CLASS_COUNT_RANGE[0] <= ds.n_classes <= CLASS_COUNT_RANGE[1]:
            set_quietly(self.classes_spin, ds.n_classes)  # Regenerate makes as many classes as are shown
        if preset != CUSTOM:
            self._preset = preset
        self._dataset = ds
        self._show_dataset(ds, preset)
        self._set_error("")
        self.task_note.hide()  # it told how an imported file was read: not this data

    def add_point(self, x: float, y: float, label: float) -> None:
        """Append the 2-D sample (x, y) with target `label`, as a click on the plot does."""
        if self._dataset.n_inputs != 2:
            self._set_error(
                f"points can only be added to 2-D data; this dataset has {self._dataset.n_inputs} inputs"
            )
            return
        values = [x, y, label]
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            self._set_error(f"cannot add the point ({x}, {y}) with target {label}: not finite numbers")
            return
        if problem := self._target_problem(float(label), len(self._dataset)):
            self._set_error(f"cannot add this point: {problem}")
            return
        self._append_sample([float(x), float(y)], float(label))
        self._edited()

    def add_curve_point(self, x: float, y: float) -> None:
        """Append a sample of 1-D regression, input `x` and target `y`, as a click on its curve plot does."""
        ds = self._dataset
        if ds.n_inputs != 1 or ds.task != "regression":
            self._set_error("points (x1, y) can only be added to regression data of one input")
            return
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (x, y)):
            self._set_error(f"cannot add the sample x1 = {x}, y = {y}: not finite numbers")
            return
        self._append_sample([float(x)], float(y))
        self._edited()

    def remove_point(self, index: int) -> None:
        """Remove sample `index` (0-based); the last remaining sample stays."""
        if not 0 <= index < len(self._dataset):
            self._set_error(f"there is no sample {index + 1} to remove")
            return
        if len(self._dataset) == 1:
            self._set_error("the dataset needs at least one sample; add another before removing this one")
            return
        self._delete_rows([index])

    # ---------------------------------------------------------------- presets

    def _current_preset(self) -> str:
        return self.preset_combo.currentData()

    def _generate(self, preset: str) -> None:
        try:
            ds = make_preset(
                preset,
                self.samples_spin.value(),
                round(self.noise_spin.value(), 6),
                self.seed_spin.value(),
                self.classes_spin.value(),
            )
        except DataError as exc:
            self._set_error(str(exc))
            return
        self._preset = preset
        self._dataset, self._fields_show_recipe = ds, True
        self._show_dataset(ds, preset)
        self._set_error("")
        self.task_note.hide()
        self.dataset_changed.emit(copied_dataset(ds))

    def _on_preset_combo_index_changed(self, _index: int) -> None:
        preset = self._current_preset()
        if preset != CUSTOM:
            self._generate(preset)

    def _on_spin_value_changed(self, _value: object) -> None:
        preset = self._current_preset()
        if preset not in (CUSTOM, "lecture"):
            self._generate(preset)

    def _on_regenerate_clicked(self) -> None:
        self._generate(self._preset)

    def _select_preset_entry(self, preset: str) -> None:
        """Point the combo at `preset`, adding the Custom entry only while it is needed."""
        with QSignalBlocker(self.preset_combo):
            custom_index = self.preset_combo.findData(CUSTOM)
            if preset == CUSTOM and custom_index < 0:
                self.preset_combo.addItem("Custom", CUSTOM)
                custom_index = self.preset_combo.count() - 1
                self.preset_combo.setItemData(custom_index, PRESET_TIPS[CUSTOM], Qt.ItemDataRole.ToolTipRole)
            self.preset_combo.setCurrentIndex(self.preset_combo.findData(preset))
            if preset != CUSTOM and custom_index >= 0:
                self.preset_combo.removeItem(custom_index)
        generated = preset not in (CUSTOM, "lecture")
        for spin in (self.samples_spin, self.noise_spin, self.seed_spin):
            spin.setEnabled(generated)
        self.classes_spin.setEnabled(has_classes_field(preset))
        title = PRESET_TITLES.get(self._preset, self._preset).split(" (")[0]
        self.regenerate_button.setToolTip(
            f"Make the {title} examples again from the seed"
            + (", replacing your edits" if preset == CUSTOM else "")
        )

    # ---------------------------------------------------------------- table

    def _show_dataset(self, ds: Dataset, preset: str) -> None:
        """Show `ds` (the panel's dataset) in the table and point the combo at `preset`."""
        self.table_model.show(ds)
        self._select_preset_entry(preset)
        self._update_summary()

    def _append_sample(self, inputs: list[float], target: float) -> None:
        self.table_model.append(inputs, target)
        self.table.scrollToBottom()

    def _on_editor_text_edited(self, editor: QLineEdit, row: int, column: int, text: str) -> None:
        """Live check while typing: mark the editor and explain, without touching the data."""
        value, why = parse_number(text)
        if value is None:
            editor.setStyleSheet(f"background: {INVALID_BACKGROUND.name()};")
            self._typing_error = f"row {row + 1}, {self.table_model.column_name(column)}: {text!r} {why}"
            self._set_error(self._typing_error)
        else:
            editor.setStyleSheet("")
            self._drop_typing_error()

    def edit_cell(self, row: int, column: int, text: str) -> bool:
        """Commit `text` to a cell, as the user's edit in the table does; False if it is refused."""
        return self.table_model.setData(self.table_model.index(row, column), text)

    def _commit_cell_text(self, row: int, column: int, text: str) -> bool:
        """An edit of a cell: a number replaces the sample's value; anything else is refused, and said so.

        Text that is not a number gives way to the cell's number at once: a cell never
        shows one thing while training uses another."""
        value, why = parse_number(text)
        old = self.table_model.value(row, column)
        self._typing_error = ""
        if value is None:
            self.table_model.cell_changed(row, column)  # the view shows the kept number again
            name = self.table_model.column_name(column)
            self._set_error(f"row {row + 1}, {name}: {text!r} {why}; the cell keeps {format_cell(old)}")
            return False
        self._set_error("")
        if float(old).hex() == value.hex():  # e.g. the editor's full digits committed unchanged
            return True
        problem = self._target_problem(value, row) if column == self._dataset.n_inputs else ""
        if problem:
            self.table_model.cell_changed(row, column)
            self._set_error(f"{problem}; the cell keeps {format_cell(old)}")
            return False
        if column == self._dataset.n_inputs:
            self._dataset.targets[row] = value
        else:
            self._dataset.inputs[row][column] = value
        self.table_model.cell_changed(row, column)
        self._edited()
        return True

    def _target_problem(self, target: float, row: int) -> str:
        """Why `target` cannot be sample `row`'s (0-based; len(data) for a new one) in this task, or ""."""
        ds = self._dataset
        try:
            check_target(ds.task, target, f"row {row + 1}, y")
            if ds.task == "classes":
                targets = [*ds.targets[:row], target, *ds.targets[row + 1 :]]
                check_classes(targets)
        except TaskError as exc:
            return str(exc)
        return ""

    def _on_add_row_clicked(self) -> None:
        self._append_sample([0.0] * self._dataset.n_inputs, 0.0 if self._dataset.task == "classes" else 1.0)
        self.table.selectRow(len(self._dataset) - 1)
        self._edited()

    def _on_delete_rows_clicked(self) -> None:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedIndexes()})
        if not rows:
            self._set_error("select the rows to delete first (click a row number; shift/ctrl for more)")
            return
        if len(rows) >= len(self._dataset):
            self._set_error("the dataset needs at least one sample: not every row can be deleted")
            return
        self._delete_rows(rows)

    def _delete_rows(self, rows: list[int]) -> None:
        doomed = set(rows)
        keep = [i for i in range(len(self._dataset)) if i not in doomed]
        if self._dataset.task == "classes":
            try:
                check_classes([self._dataset.targets[i] for i in keep])
            except TaskError as exc:
                self._set_error(f"these rows cannot all go: {exc}")
                return
        self._dataset.inputs = [self._dataset.inputs[i] for i in keep]
        self._dataset.targets = [self._dataset.targets[i] for i in keep]
        self._dataset.name, self._dataset.recipe = CUSTOM, None  # other rows: no preset makes them
        self._show_dataset(self._dataset, CUSTOM)
        self._set_error("")
        self.dataset_changed.emit(copied_dataset(self._dataset))

    def _edited(self) -> None:
        """The user changed the data by hand: it is Custom now; tell the window."""
        if self._dataset.name in ALL_PRESETS:
            self._dataset.name = CUSTOM
        self._dataset.recipe = None  # no preset makes the edited rows
        self._select_preset_entry(CUSTOM)
        self._update_summary()
        self.dataset_changed.emit(copied_dataset(self._dataset))

    # ---------------------------------------------------------------- messages

    def _update_summary(self) -> None:
        self.summary_label.setText(summarize(self._dataset))
        note = unknown_settings_note(self._dataset, self._fields_show_recipe)
        self.unknown_settings_label.setText(note)
        self.unknown_settings_label.setVisible(bool(note))

    def _drop_typing_error(self) -> None:
        """The editor closed (Esc) or its text became a number: its complaint goes, other messages stay."""
        if self._typing_error and self.error_label.text() == self._typing_error:
            self._set_error("")
        self._typing_error = ""

    def _set_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))

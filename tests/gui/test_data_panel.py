"""Tests for gui/panels/data_panel.py: presets, the sample table, points from the plot, CSV files."""

import pytest
import shiboken6
from PySide6.QtCore import QEvent, QItemSelectionModel, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication, QLineEdit

from engine.data import Dataset, make_preset
from gui.panels.data_panel import DataPanel
from gui.panels.sample_table import VALUE_ROLE, format_cell

LECTURE = make_preset("lecture")


def bits(dataset: Dataset) -> list[str]:
    """Every float of a dataset as exact hex, so that a rounded copy never passes for the original."""
    return [float(v).hex() for row in dataset.inputs for v in row] + [float(t).hex() for t in dataset.targets]


@pytest.fixture
def panel(qtbot):
    widget = DataPanel()
    qtbot.addWidget(widget)
    return widget


def choose(panel, qtbot, preset: str) -> Dataset:
    with qtbot.waitSignal(panel.dataset_changed, timeout=1000) as blocker:
        panel.preset_combo.setCurrentIndex(panel.preset_combo.findData(preset))
    return blocker.args[0]


def cell(panel, row: int, column: int):
    """The table's cell as its view sees it (`.data()` is the text shown, `.data(VALUE_ROLE)` the float)."""
    index = panel.table.model().index(row, column)
    assert index.isValid()
    return index


def shown(panel, row: int, column: int) -> str:
    return cell(panel, row, column).data()


def table_values(panel) -> list[list[float]]:
    table = panel.table
    return [
        [cell(panel, r, c).data(VALUE_ROLE) for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def headers(panel) -> list[str]:
    model = panel.table.model()
    return [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]


def select_rows(panel, rows: list[int]) -> None:
    model = panel.table.selectionModel()
    model.clearSelection()
    for row in rows:
        index = panel.table.model().index(row, 0)
        model.select(index, QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)


# ---------------------------------------------------------------- presets


def test_default_is_the_lecture_preset(panel):
    assert panel.preset_combo.currentData() == "lecture"
    assert panel.preset_combo.currentText() == "Lecture (4 samples, 3 inputs)"
    assert bits(panel.dataset()) == bits(LECTURE)
    assert (panel.table.rowCount(), panel.table.columnCount()) == (4, 4)
    assert headers(panel) == ["x1", "x2", "x3", "y"]
    assert table_values(panel) == [[*x, y] for x, y in zip(LECTURE.inputs, LECTURE.targets)]
    assert shown(panel, 0, 0) == "2.0"
    assert panel.summary_label.text() == "4 samples · 3 inputs · classes +1: 2, -1: 2"
    assert "ys = [1, -1, -1, 1]" in panel.preset_combo.itemData(0, Qt.ItemDataRole.ToolTipRole)
    assert panel.error_label.text() == ""
    # samples, noise and seed do not apply to the lecture's four examples
    assert not any(s.isEnabled() for s in (panel.samples_spin, panel.noise_spin, panel.seed_spin))


def test_preset_combo_lists_the_presets_and_no_custom_entry_until_an_edit(panel):
    names = [panel.preset_combo.itemText(i) for i in range(panel.preset_combo.count())]
    assert names[:6] == ["Lecture (4 samples, 3 inputs)", "Moons", "Circles", "XOR", "Spiral", "Blobs"]
    assert names[6:] == [
        "Spiral arms (several classes)",
        "Blobs (several classes)",
        "Sine (regression)",
        "|x| (regression)",
        "Step (regression)",
        "Noisy line (regression)",
        "Bump, 2-D (regression)",
    ]


def test_choosing_moons_emits_a_2d_dataset_of_100(panel, qtbot):
    ds = choose(panel, qtbot, "moons")
    assert (len(ds), ds.n_inputs, ds.name) == (100, 2, "moons")
    assert bits(ds) == bits(make_preset("moons", 100, 0.1, 0))
    assert bits(panel.dataset()) == bits(ds)
    assert (panel.table.rowCount(), headers(panel)) == (100, ["x1", "x2", "y"])
    assert panel.summary_label.text() == "100 samples · 2 inputs · classes +1: 50, -1: 50"
    assert all(s.isEnabled() for s in (panel.samples_spin, panel.noise_spin, panel.seed_spin))


def test_emitted_dataset_is_a_copy(panel, qtbot):
    ds = choose(panel, qtbot, "xor")
    ds.inputs[0][0] = 1234.0
    ds.targets.clear()
    assert panel.dataset().inputs[0][0] != 1234.0
    assert len(panel.dataset().targets) == 100


def test_samples_spin_change_regenerates_the_preset(panel, qtbot):
    choose(panel, qtbot, "circles")
    with qtbot.waitSignal(panel.dataset_changed, timeout=1000) as blocker:
        panel.samples_spin.setValue(150)
    assert bits(blocker.args[0]) == bits(make_preset("circles", 150, 0.1, 0))
    assert panel.table.rowCount() == 150


def test_noise_and_seed_changes_regenerate_with_their_values(panel, qtbot):
    choose(panel, qtbot, "spiral")
    with qtbot.waitSignal(panel.dataset_changed, timeout=1000) as blocker:
        panel.noise_spin.setValue(0.25)
    assert bits(blocker.args[0]) == bits(make_preset("spiral", 100, 0.25, 0))
    with qtbot.waitSignal(panel.dataset_changed, timeout=1000) as blocker:
        panel.seed_spin.setValue(42)
    assert bits(blocker.args[0]) == bits(make_preset("spiral", 100, 0.25, 42))


def test_typing_a_sample_count_generates_once_not_per_keystroke(panel, qtbot):
    choose(panel, qtbot, "moons")
    emitted = []
    panel.dataset_changed.connect(emitted.append)
    line = panel.samples_spin.lineEdit()
    line.selectAll()
    qtbot.keyClicks(line, "150")
    assert emitted == []
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert [len(ds) for ds in emitted] == [150]


def test_spins_do_not_touch_the_lecture_data(panel, qtbot):
    with qtbot.assertNotEmitted(panel.dataset_changed):
        panel.samples_spin.setValue(50)
        panel.seed_spin.setValue(3)
    assert bits(panel.dataset()) == bits(LECTURE)


def test_regenerate_with_the_same_seed_gives_the_same_data_and_undoes_edits(panel, qtbot):
    panel.seed_spin.setValue(7)
    first = choose(panel, qtbot, "blobs")
    with qtbot.waitSignal(panel.dataset_changed, timeout=1000):
        panel.edit_cell(0, 0, "99")
    assert panel.preset_combo.currentText() == "Custom"
    with qtbot.waitSignal(panel.dataset_changed, timeout=1000) as blocker:
        panel.regenerate_button.click()
    assert bits(blocker.args[0]) == bits(first) == bits(make_preset("blobs", 100, 0.1, 7))
    assert panel.preset_combo.currentData() == "blobs"
    assert panel.preset_combo.findData("custom") == -1
    assert cell(panel, 0, 0).data(VALUE_ROLE) == first.inputs[0][0]


# ---------------------------------------------------------------- table edits


def test_valid_cell_edit_changes_the_dataset_bit_exactly(panel, qtbot):
    with qtbot.waitSignal(panel.dataset_changed, timeout=1000) as blocker:
        panel.edit_cell(1, 2, " 0.12345678901234567 ")
    value = 0.12345678901234567
    assert blocker.args[0].inputs[1][2].hex() == value.hex()
    assert panel.dataset().inputs[1][2].hex() == value.hex()
    assert shown(panel, 1, 2) == "0.1235"  # shown rounded, kept whole
    assert cell(panel, 1, 2).data(VALUE_ROLE) == value
    assert panel.preset_combo.currentText() == "Custom"
    expected = LECTURE.copy()
    expected.inputs[1][2] = value
    assert bits(panel.dataset()) == bits(expected)


def test_editing_the_target_column_changes_the_target(panel, qtbot):
    with qtbot.waitSignal(panel.dataset_changed, timeout=1000) as blocker:
        panel.edit_cell(3, 3, "-1")
    assert blocker.args[0].targets == [1.0, -1.0, -1.0, -1.0]
    assert panel.summary_label.text() == "4 samples · 3 inputs · classes +1: 1, -1: 3"


def test_bad_cell_edit_goes_back_to_its_number_and_says_so(panel, qtbot):
    """A cell never shows one thing while training uses another."""
    with qtbot.assertNotEmitted(panel.dataset_changed):
        panel.edit_cell(2, 1, "abc")
    assert panel.error_label.text() == "row 3, x2: 'abc' is not a number; the cell keeps 1.0"
    assert not panel.error_label.isHidden()
    assert shown(panel, 2, 1) == "1.0"
    assert cell(panel, 2, 1).data(VALUE_ROLE) == 1.0
    assert bits(panel.dataset()) == bits(LECTURE)
    # the next good edit counts, and the message goes
    with qtbot.waitSignal(panel.dataset_changed, timeout=1000) as blocker:
        panel.edit_cell(2, 1, "5")
    assert blocker.args[0].inputs[2][1] == 5.0
    assert panel.error_label.text() == ""
    assert panel.error_label.isHidden()


@pytest.mark.parametrize("text", ["inf", "nan", "-infinity", "1e999", ""])
def test_non_finite_or_empty_cell_is_refused(panel, qtbot, text):
    with qtbot.assertNotEmitted(panel.dataset_changed):
        panel.edit_cell(0, 3, text)
    assert panel.error_label.text().startswith(f"row 1, y: {text!r} is not a")
    assert panel.error_label.text().endswith("the cell keeps 1.0")
    assert shown(panel, 0, 3) == "1.0"
    assert panel.dataset().targets[0] == 1.0


def test_every_cell_shows_the_number_that_trains(panel, qtbot):
    choose(panel, qtbot, "moons")
    for row, column, text in [(0, 0, "x"), (5, 2, "1,5"), (99, 1, "--1"), (3, 0, "0.25")]:
        panel.edit_cell(row, column, text)
    data = panel.dataset()
    for row in range(panel.table.rowCount()):
        for column in range(panel.table.columnCount()):
            used = data.targets[row] if column == 2 else data.inputs[row][column]
            assert cell(panel, row, column).data(VALUE_ROLE) == used
            assert shown(panel, row, column) == format_cell(used)
    assert data.inputs[3][0] == 0.25


def test_typing_a_bad_cell_then_committing_it_leaves_the_explanation(panel, qtbot):
    item = cell(panel, 1, 0)
    panel.show()
    qtbot.waitExposed(panel)
    panel.table.setCurrentIndex(item)
    panel.table.edit(item)
    editor = panel.table.findChild(QLineEdit)
    qtbot.waitUntil(lambda: editor is not None and editor.isVisible())
    editor.selectAll()
    qtbot.keyClicks(editor, "4x")
    assert panel.error_label.text() == "row 2, x1: '4x' is not a number"
    with qtbot.assertNotEmitted(panel.dataset_changed):
        qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next event loop pass
        qtbot.waitUntil(lambda: "keeps" in panel.error_label.text())
        qtbot.waitUntil(lambda: not shiboken6.isValid(editor) or not editor.isVisible())  # closed or deleted
    assert panel.error_label.text() == "row 2, x1: '4x' is not a number; the cell keeps 3.0"
    assert item.data() == format_cell(LECTURE.inputs[1][0]) == "3.0"
    assert bits(panel.dataset()) == bits(LECTURE)


def test_editor_shows_every_digit_and_checks_as_you_type(panel, qtbot):
    choose(panel, qtbot, "moons")
    item = cell(panel, 0, 0)
    full = item.data(VALUE_ROLE)
    assert item.data() == format_cell(full) != repr(full)
    panel.table.openPersistentEditor(item)
    editor = panel.table.indexWidget(item)
    assert isinstance(editor, QLineEdit)
    assert editor.text() == repr(full)
    with qtbot.assertNotEmitted(panel.dataset_changed):
        editor.selectAll()
        qtbot.keyClicks(editor, "1x")
    assert panel.error_label.text() == "row 1, x1: '1x' is not a number"
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert panel.error_label.text() == ""
    panel.table.closePersistentEditor(item)


def test_add_row_appends_zeros_with_target_one(panel, qtbot):
    with qtbot.waitSignal(panel.dataset_changed, timeout=1000) as blocker:
        panel.add_row_button.click()
    ds = blocker.args[0]
    assert len(ds) == 5
    assert (ds.inputs[4], ds.targets[4]) == ([0.0, 0.0, 0.0], 1.0)
    assert panel.table.rowCount() == 5
    assert table_values(panel)[4] == [0.0, 0.0, 0.0, 1.0]


def test_delete_rows_deletes_the_selected_rows(panel, qtbot):
    select_rows(panel, [0, 2])
    with qtbot.waitSignal(panel.dataset_changed, timeout=1000) as blocker:
        panel.delete_rows_button.click()
    ds = blocker.args[0]
    assert ds.inputs == [LECTURE.inputs[1], LECTURE.inputs[3]]
    assert ds.targets == [LECTURE.targets[1], LECTURE.targets[3]]
    assert panel.table.rowCount() == 2


def test_delete_rows_refuses_to_delete_every_row_or_nothing(panel, qtbot):
    panel.table.selectAll()
    with qtbot.assertNotEmitted(panel.dataset_changed):
        panel.delete_rows_button.click()
    assert "at least one sample" in panel.error_label.text()
    panel.table.clearSelection()
    with qtbot.assertNotEmitted(panel.dataset_changed):
        panel.delete_rows_button.click()
    assert "select the rows" in panel.error_label.text()
    assert bits(panel.dataset()) == bits(LECTURE)


# ---------------------------------------------------------------- points from the plot


def test_add_point_appends_a_2d_sample(panel, qtbot):
    choose(panel, qtbot, "moons")
    with qtbot.waitSignal(panel.dataset_changed, timeout=1000) as blocker:
        panel.add_point(0.5, -0.25, -1)
    ds = blocker.args[0]
    assert (len(ds), ds.inputs[-1], ds.targets[-1]) == (101, [0.5, -0.25], -1.0)
    assert panel.table.rowCount() == 101
    assert panel.preset_combo.currentText() == "Custom"
    assert panel.summary_label.text() == "101 samples · 2 inputs · classes +1: 50, -1: 51"


def test_add_point_is_refused_for_data_that_is_not_2d(panel, qtbot):
    with qtbot.assertNotEmitted(panel.dataset_changed):
        panel.add_point(0.5, 0.5, 1)
    assert "2-D" in panel.error_label.text()
    assert len(panel.dataset()) == 4


def test_remove_point_removes_that_sample_but_never_the_last(panel, qtbot):
    moons = choose(panel, qtbot, "moons")
    with qtbot.waitSignal(panel.dataset_changed, timeout=1000) as blocker:
        panel.remove_point(0)
    assert bits(blocker.args[0]) == bits(Dataset(moons.inputs[1:], moons.targets[1:]))
    assert panel.table.rowCount() == 99
    panel.set_dataset(Dataset([[1.0, 2.0]], [1.0]))
    with qtbot.assertNotEmitted(panel.dataset_changed):
        panel.remove_point(0)
    assert "at least one sample" in panel.error_label.text()
    assert len(panel.dataset()) == 1


# ---------------------------------------------------------------- CSV files


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x1,x2,y\n1,2,1\n3,4\n", "row 3 has 2 values, expected 3"),
        ("x1,x2,y\n1,two,1\n", "row 2, column 'x2': 'two' is not a number"),
    ],
)
def test_bad_csv_import_explains_and_keeps_the_data(panel, qtbot, tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with qtbot.assertNotEmitted(panel.dataset_changed):
        assert panel.import_csv(path) is False
    assert message in panel.error_label.text()
    assert "bad.csv" in panel.error_label.text()
    assert bits(panel.dataset()) == bits(LECTURE)
    assert panel.table.rowCount() == 4
    assert panel.preset_combo.currentData() == "lecture"


def test_import_of_a_missing_file_explains(panel, qtbot, tmp_path):
    with qtbot.assertNotEmitted(panel.dataset_changed):
        assert panel.import_csv(tmp_path / "nowhere.csv") is False
    assert "nowhere.csv" in panel.error_label.text()
    assert bits(panel.dataset()) == bits(LECTURE)


def test_export_then_import_round_trips_every_bit(panel, qtbot, tmp_path):
    choose(panel, qtbot, "spiral")
    with qtbot.waitSignal(panel.dataset_changed, timeout=1000):
        panel.edit_cell(5, 1, "0.1")  # 0.1 has no short binary form: it must survive as text
    original = panel.dataset()
    path = tmp_path / "mine.csv"
    assert panel.export_csv(path) is True
    panel.set_dataset(LECTURE)
    with qtbot.waitSignal(panel.dataset_changed, timeout=1000) as blocker:
        assert panel.import_csv(path) is True
    assert bits(blocker.args[0]) == bits(original)
    assert blocker.args[0].name == "mine"
    assert panel.table.rowCount() == 100
    assert panel.preset_combo.currentText() == "Custom"
    assert panel.error_label.text() == ""


def test_a_file_named_like_a_preset_imports_as_custom(panel, qtbot, tmp_path):
    path = tmp_path / "moons.csv"
    path.write_text("a,b,label\n1,2,1\n3,4,-1\n")
    with qtbot.waitSignal(panel.dataset_changed, timeout=1000) as blocker:
        panel.import_csv(path)
    assert blocker.args[0].name != "moons"
    assert panel.preset_combo.currentText() == "Custom"


def test_failed_export_explains_and_returns_false(panel, tmp_path):
    assert panel.export_csv(tmp_path / "no such folder" / "out.csv") is False
    assert "out.csv" in panel.error_label.text()


# ---------------------------------------------------------------- set_dataset


def test_set_dataset_shows_it_without_emitting(panel, qtbot):
    moons = make_preset("moons", 30, 0.2, 5)
    with qtbot.assertNotEmitted(panel.dataset_changed):
        panel.set_dataset(moons)
    assert bits(panel.dataset()) == bits(moons)
    assert panel.table.rowCount() == 30
    assert panel.preset_combo.currentData() == "moons"
    assert panel.samples_spin.value() == 30
    custom = Dataset([[1, 2], [3, 4]], [1, -1], name="from a session")
    with qtbot.assertNotEmitted(panel.dataset_changed):
        panel.set_dataset(custom)
    assert panel.preset_combo.currentText() == "Custom"
    assert table_values(panel) == [[1.0, 2.0, 1.0], [3.0, 4.0, -1.0]]


def test_set_dataset_keeps_a_private_copy(panel):
    ds = make_preset("xor", 10)
    panel.set_dataset(ds)
    ds.inputs[0][0] = 1e9
    assert panel.dataset().inputs[0][0] != 1e9


def test_two_thousand_rows_load_and_emit_once(panel, qtbot):
    choose(panel, qtbot, "moons")
    emitted = []
    panel.dataset_changed.connect(emitted.append)
    panel.samples_spin.setValue(2000)  # how fast: benchmarks/bench_inputs.py
    assert [len(ds) for ds in emitted] == [2000]
    assert panel.table.rowCount() == 2000


# ---------------------------------------------------------------- numbers typed above the table


def leave(spin) -> None:
    """Move the focus away from `spin`, as a click elsewhere or Tab does."""
    QApplication.sendEvent(spin, QFocusEvent(QEvent.Type.FocusOut, Qt.FocusReason.TabFocusReason))


@pytest.mark.parametrize(
    ("name", "typed"),
    [
        ("samples_spin", "0"),
        ("samples_spin", "3000"),
        ("samples_spin", "-1"),
        ("noise_spin", "-0.1"),
        ("noise_spin", "2"),
        ("noise_spin", "0.125"),  # would round to 0.13
        ("seed_spin", "-5"),
        ("seed_spin", "100000"),
        ("seed_spin", "abc"),
    ],
)
def test_a_number_the_generator_cannot_use_is_marked_then_refused_visibly(panel, qtbot, name, typed):
    choose(panel, qtbot, "moons")
    before = bits(panel.dataset())
    spin = getattr(panel, name)
    with qtbot.assertNotEmitted(panel.dataset_changed):
        spin.lineEdit().selectAll()
        qtbot.keyClicks(spin.lineEdit(), typed)
        assert spin.lineEdit().text() == typed  # no keystroke dropped, nothing clamped
        assert spin.field_name in panel.settings_message.text()
        assert not panel.settings_message.isHidden()
        leave(spin)
    assert f"not “{typed}”" in panel.settings_message.text()
    assert panel.settings_message.text().startswith(f"Kept {spin.text()}")
    assert bits(panel.dataset()) == before
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "1")
    assert panel.settings_message.isHidden()  # a new edit clears the old message


# ---------------------------------------------------------------- files that cannot be read


@pytest.mark.parametrize(
    "error",
    [RecursionError(), MemoryError(), UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad"), ValueError("x")],
)
def test_anything_a_csv_reader_raises_is_explained_and_keeps_the_data(
    panel, qtbot, tmp_path, monkeypatch, error
):
    def hostile_reader(*_args, **_kwargs):
        raise error

    monkeypatch.setattr("gui.panels.data_files.read_csv", hostile_reader)
    path = tmp_path / "hostile.csv"
    path.write_text("x1,y\n1,1\n")
    with qtbot.assertNotEmitted(panel.dataset_changed), qtbot.waitSignal(panel.file_failed) as failed:
        assert panel.import_csv(path) is False
    title, message = failed.args
    assert title == "Import dataset" and message.startswith("Could not import hostile.csv: ")
    assert message == panel.error_label.text()
    assert "Error" not in message and "utf-8" not in message  # about the file, not about Python
    assert bits(panel.dataset()) == bits(LECTURE)


def test_a_csv_export_that_fails_in_any_way_is_reported(panel, qtbot, tmp_path, monkeypatch):
    def failing_writer(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("gui.panels.data_files.write_csv", failing_writer)
    with qtbot.waitSignal(panel.file_failed) as failed:
        assert panel.export_csv(tmp_path / "out.csv") is False
    assert failed.args[0] == "Export dataset"
    assert failed.args[1].startswith("Could not export to out.csv: ")


def test_a_dataset_set_from_code_clears_the_mark_of_text_it_replaces(panel, qtbot):
    choose(panel, qtbot, "moons")
    panel.samples_spin.lineEdit().selectAll()
    qtbot.keyClicks(panel.samples_spin.lineEdit(), "-3")
    assert not panel.settings_message.isHidden()
    panel.set_dataset(make_preset("moons", 50, 0.1, 0))
    assert panel.samples_spin.text() == "50"
    assert panel.settings_message.isHidden()


# ---------------------------------------------------------------- the table is a view of the dataset


def test_showing_many_rows_reads_only_the_cells_on_screen(panel, qtbot, monkeypatch):
    """2,000 imported rows cost what a screenful does: the table formats the cells it paints, not all 6,000."""
    import gui.panels.sample_table

    panel.resize(400, 500)
    panel.show()
    qtbot.waitExposed(panel)
    formatted = []
    original = gui.panels.sample_table.format_cell
    monkeypatch.setattr(
        gui.panels.sample_table, "format_cell", lambda value: formatted.append(value) or original(value)
    )
    panel.set_dataset(make_preset("moons", 2000, 0.1, 1))
    panel.table.grab()  # paints what is on screen
    assert panel.table.rowCount() == 2000
    assert 0 < len(formatted) < 600
    last = panel.dataset()
    assert shown(panel, 1999, 1) == format_cell(last.inputs[1999][1])  # and any row reads right when asked


def test_headers_name_and_explain_the_columns_and_number_the_rows(panel):
    model = panel.table.model()
    tips = [model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole) for c in range(4)]
    assert tips[:3] == [f"input {j} of each example" for j in (1, 2, 3)]
    assert tips[3] == "the target: what the network's output should be"
    assert [model.headerData(r, Qt.Orientation.Vertical) for r in range(4)] == ["1", "2", "3", "4"]
    alignment = cell(panel, 0, 0).data(Qt.ItemDataRole.TextAlignmentRole)
    assert alignment & Qt.AlignmentFlag.AlignRight


def test_selecting_rows_is_announced_and_read_back(panel, qtbot):
    with qtbot.waitSignal(panel.table.itemSelectionChanged, timeout=1000):
        select_rows(panel, [1])
    assert {index.row() for index in panel.table.selectedIndexes()} == {1}


def test_a_point_added_from_the_plot_appears_as_the_last_row(panel, qtbot):
    choose(panel, qtbot, "moons")
    panel.add_point(0.125, -0.5, -1)
    assert table_values(panel)[-1] == [0.125, -0.5, -1.0]
    assert shown(panel, 100, 0) == "0.125"

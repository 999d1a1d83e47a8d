"""The Data panel's CSV files: import (with what its targets are) and export (a mixin of DataPanel).

A file that cannot be read or written changes nothing and is reported through
`file_failed`, with the whole message.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QFileDialog

from engine.data import DataError, read_csv, write_csv
from engine.problem_presets import ALL_PRESETS
from engine.tasks import TASKS
from gui.panels.data_presets import CUSTOM, MAX_PANEL_SAMPLES, copied_dataset
from gui.panels.input_checks import describe_file_error
from gui.processes.file_loading import LoadCancelled, read_file

CSV_FILTER = "CSV files (*.csv)"
DETECT = "detect"
# What the "Import as" menu offers: detect (the rule of engine/tasks.py), or say it
IMPORT_AS = {
    DETECT: "Detect from the targets",
    "binary": "Two classes (+1 / -1)",
    "classes": "Several classes (0, 1, 2, …)",
    "regression": "Regression (any numbers)",
}
DETECTED_WHY = {
    "binary": "every target is +1 or -1",
    "classes": "the targets are whole numbers 0 to k-1 (k of 3 or more), each one used",
    "regression": "the targets are not all +1/-1, nor whole numbers 0 to k-1 with k of 3 or more",
}


def import_note(task: str, detected: bool, n_classes: int) -> str:
    """What the panel says an imported file was read as, and why."""
    what = f"{n_classes} classes" if task == "classes" else TASKS[task]
    if not detected:
        return f"Read as {what}, as chosen in Import as."
    return f"Read as {what}: {DETECTED_WHY[task]}. Choose Import as to read it otherwise."


class CsvFiles:
    """DataPanel's CSV import and export; it owns the widgets and the dataset used here."""

    def import_csv(self, path: str | os.PathLike) -> bool:
        """Load a dataset CSV; on a bad file say why (`error_label`, `file_failed`) and keep the current data."""
        return self._file_action("Import dataset", "Could not import", self._import_csv, path)

    def export_csv(self, path: str | os.PathLike) -> bool:
        """Write the current dataset as CSV (atomically); on failure say why (`error_label`, `file_failed`)."""
        return self._file_action("Export dataset", "Could not export to", self._export_csv, path)

    def _file_action(self, title: str, could_not: str, action, path: str | os.PathLike) -> bool:
        try:
            done = action(path)
        except LoadCancelled:  # the user cancelled reading a big file: nothing to say, nothing changed
            return False
        except Exception as exc:  # whatever a hostile file makes the reader or writer raise, the data stays
            self._set_error(f"{could_not} {Path(path).name}: {describe_file_error(exc)}")
            done = False
        if not done:
            self.file_failed.emit(title, self.error_label.text())
        return done

    def _import_csv(self, path: str | os.PathLike) -> bool:
        """Load a dataset CSV; on a bad file say why in `error_label` and keep the current data."""
        try:
            chosen = self.import_as_combo.currentData()
            task = None if chosen == DETECT else chosen
            # a big file is read in a child process while the window runs (gui/processes/file_loading.py)
            options = {"max_rows": MAX_PANEL_SAMPLES, "task": task}
            ds = read_file(
                self.window(), "csv", lambda: read_csv(path, **options), path, "Import dataset", options
            )
        except (DataError, OSError) as exc:
            self._set_error(f"Could not import {Path(path).name}: {describe_file_error(exc)}")
            return False
        if ds.name in ALL_PRESETS:  # a file called moons.csv holds the user's data, not the preset
            ds.name = f"{ds.name}.csv"
        self._dataset = ds
        self._show_dataset(ds, CUSTOM)
        self._set_error("")
        self.task_note.setText(import_note(ds.task, chosen == DETECT, ds.n_classes))
        self.task_note.show()
        self.dataset_changed.emit(copied_dataset(ds))
        return True

    def _export_csv(self, path: str | os.PathLike) -> bool:
        """Write the current dataset as CSV (atomically); on failure say why in `error_label`."""
        try:
            write_csv(self._dataset, path)
        except (DataError, OSError) as exc:
            self._set_error(f"Could not export to {Path(path).name}: {describe_file_error(exc)}")
            return False
        self._set_error("")
        return True

    def _on_import_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import dataset CSV", self._last_dir, CSV_FILTER)
        if path:
            self._last_dir = str(Path(path).parent)
            self.import_csv(path)

    def _on_export_clicked(self) -> None:
        suggested = str(Path(self._last_dir or ".") / f"{self._dataset.name}.csv")
        path, _ = QFileDialog.getSaveFileName(self, "Export dataset CSV", suggested, CSV_FILTER)
        if path:
            if not Path(path).suffix:
                path += ".csv"
            self._last_dir = str(Path(path).parent)
            self.export_csv(path)

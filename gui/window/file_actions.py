"""The File menu's actions: sessions, datasets, weights, the loss history and the graph.

Each action is a public method of the window that takes a path and returns whether
it worked (tests and scripts call these); the menu asks for the path first with
`ask_path`. Every action catches Exception, not only the errors its reader or
writer means to raise: a hostile file may make them raise anything (RecursionError,
MemoryError, UnicodeDecodeError...), and none of it may reach Qt as a traceback.
The message goes to show_error, whole, and what the window had stays as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import shiboken6
from PySide6.QtWidgets import QFileDialog, QWidget

from engine import weights as weights_io
from engine.features import input_names_problem
from engine.files import open_regular_file
from engine.session import Session, load_session, model_data_problem, save_session
from engine.weights import ModelWeights
from gui.panels.data_panel import MAX_PANEL_SAMPLES
from gui.panels.input_checks import describe_file_error
from gui.processes import file_loading
from gui.processes.file_loading import LoadCancelled
from gui.processes.torch_process import TorchExport
from gui.resources import Example
from gui.resources import examples as shipped_examples
from gui.widgets.style import STATUS_MS

T = TypeVar("T")


@dataclass(frozen=True)
class FileDialog:
    """What the file dialog of one action shows."""

    title: str
    name_filter: str
    suffix: str  # added to a saved file's name that has none
    save: bool


OPEN_SESSION = FileDialog("Open session", "Sessions (*.json);;All files (*)", ".json", save=False)
SAVE_SESSION = FileDialog("Save session", "Sessions (*.json)", ".json", save=True)
IMPORT_CSV = FileDialog("Import dataset", "CSV files (*.csv);;All files (*)", ".csv", save=False)
EXPORT_CSV = FileDialog("Export dataset", "CSV files (*.csv)", ".csv", save=True)
IMPORT_WEIGHTS = FileDialog("Import weights", "Weights (*.json *.npz);;All files (*)", ".json", save=False)
EXPORT_WEIGHTS = {
    "json": FileDialog("Export weights", "Weights JSON (*.json)", ".json", save=True),
    "npz": FileDialog("Export weights", "NumPy archive (*.npz)", ".npz", save=True),
    "torch": FileDialog("Export weights", "PyTorch state_dict (*.pt)", ".pt", save=True),
}
EXPORT_LOSS_CSV = FileDialog("Export loss history", "CSV files (*.csv)", ".csv", save=True)
EXPORT_LOSS_PNG = FileDialog("Export loss plot", "PNG images (*.png)", ".png", save=True)
EXPORT_GRAPH = FileDialog(
    "Export computation graph",
    "SVG image (*.svg);;PNG image (*.png);;Graphviz DOT (*.dot)",
    ".svg",
    save=True,
)


def ask_path(parent: QWidget, dialog: FileDialog) -> str:
    """The path the user picks, "" if they cancel; a saved file without a suffix gets the dialog's."""
    if not dialog.save:
        return QFileDialog.getOpenFileName(parent, dialog.title, "", dialog.name_filter)[0]
    path = QFileDialog.getSaveFileName(parent, dialog.title, "", dialog.name_filter)[0]
    return path + dialog.suffix if path and not Path(path).suffix else path


ZIP_MAGIC = b"PK\x03\x04"  # how every .npz (a zip archive) begins


def is_npz(path: str | Path) -> bool:
    """Whether weights at `path` are a NumPy archive: by its first bytes, so that "W.NPZ" (as some
    systems name it) or an archive saved under ".json" opens too; by its suffix, in any case, if
    those cannot be read (the loader then says why)."""
    try:
        with open_regular_file(path) as f:  # never blocks: a pipe or device is refused, not read
            return f.read(len(ZIP_MAGIC)) == ZIP_MAGIC
    except Exception:
        return Path(path).suffix.lower() == ".npz"


class FileActions:
    """The file actions of MainWindow (a mixin: they read and set the window's state)."""

    def _file_failed(self, title: str, could_not: str, path: str | Path, exc: BaseException) -> None:
        """Show "Could not open bad.json: <why, in words>" (`could_not` is "Could not open")."""
        self.show_error(title, f"{could_not} {Path(path).name}: {describe_file_error(exc)}")

    def _say_not_done(self, message: str) -> None:
        """A cancelled load said in the status bar, if the window is still there (a script may have
        deleted it while the file loaded)."""
        if shiboken6.isValid(self):
            self.statusBar().showMessage(message, STATUS_MS)

    def _write_file(
        self,
        title: str,
        path: str | Path,
        write: Callable[[str | Path], object],
        done: str,
        could_not: str = "",
    ) -> bool:
        """Run `write(path)`; say `done` in the status bar, or why it failed in a dialog."""
        try:
            write(path)
        except Exception as exc:
            self._file_failed(title, could_not or "Could not export to", path, exc)
            return False
        self.statusBar().showMessage(done, STATUS_MS)
        return True

    def save_session(self, path: str | Path) -> bool:
        session = self.current_session()
        done = f"Saved session to {path}"
        return self._write_file(
            "Save session", path, lambda p: save_session(session, p), done, "Could not save"
        )

    def _read_file(self, kind: str, read: Callable[[], T], path: str | Path, title: str) -> T:
        """`read()`, in the GUI thread for a small file; a big one is read by the same loader (`kind`,
        see gui/processes/file_child.py) in a child while the window runs (gui/processes/file_loading.py).
        Raises what `read` raises, or LoadCancelled."""
        return file_loading.read_file(self, kind, read, path, title)

    def open_session(self, path: str | Path) -> bool:
        name = Path(path).name

        def load() -> Session:
            return self._read_file("session", lambda: load_session(path), path, "Open session")

        return self._open_session_from(load, name, f"saved run ({name})")

    def open_example(self, file_name: str) -> bool:
        """Open one of the example sessions shipped with the app (File ▸ Open example), by its file name."""
        example = next((e for e in self.examples if e.file_name == file_name), None)
        if example is None:
            self.show_error("Open example", f"There is no example called {file_name}.")
            return False
        return self._open_session_from(example.load, f"the example “{example.title}”", example.title)

    def _open_session_from(self, load: Callable[[], Session], name: str, history_label: str) -> bool:
        """Open the session `load` reads (`name` is how messages call it), after asking to end a run."""
        try:
            session = load()
            problem = self.session_problem(session)
        except LoadCancelled:  # cancelled, or the window is closing: nothing changes
            self._say_not_done(f"Did not open {name}")
            return False
        except Exception as exc:
            self.show_error("Open session", f"Could not open {name}: {describe_file_error(exc)}")
            return False
        if problem:
            self.show_error("Open session", f"Could not open {name}: {problem}")
            return False
        if not self._confirm_reset(f"Opening {name} ends the current training run. Open it?"):
            return False
        if not self.apply_session(session, history_label):
            return False
        self.statusBar().showMessage(f"Opened {name}", STATUS_MS)
        return True

    @property
    def examples(self) -> list[Example]:
        """The example sessions the app ships, in menu order ([] if their catalog cannot be read)."""
        try:
            return shipped_examples()
        except Exception:  # a damaged install: the menu says there are none, the app still runs
            return []

    def session_problem(self, session: Session) -> str:
        """Why the window cannot show `session` exactly as it is, or "" (changes nothing)."""
        dataset, spec = session.dataset, session.model
        try:
            dataset.validate()
            if len(dataset) > MAX_PANEL_SAMPLES:
                return (
                    f"its data has {len(dataset)} samples; the Data panel holds at most {MAX_PANEL_SAMPLES}"
                )
            problem = (
                self.model_panel.spec_problem(spec)
                or model_data_problem(spec, dataset)  # engineered inputs need 2-D data
                or self.training_panel.settings_problem(session.training)
            )
            session.split.validate()
        except Exception as exc:  # DataError, SpecError, or what a hand-made session's odd types raise
            return describe_file_error(exc)
        if problem or session.weights is None:
            return problem
        return spec.weights_problem(session.weights, dataset.n_inputs, dataset.n_outputs)

    def export_weights(self, path: str | Path, fmt: str) -> bool:
        """Write the shown weights as "json", "npz" or "torch" (a PyTorch state_dict)."""
        s = self._settings
        weights = ModelWeights(
            self._weights.inputs,
            self._weights.layers,
            {
                "steps_trained": len(self._history),
                "final_loss": self._history[-1].loss if self._history else None,
                "loss": s.loss,
                "learning_rate": s.learning_rate,
                "dataset": self._dataset.name,
                "input_names": self._spec.input_names(self._dataset.n_inputs),  # what it expects
            },
        )
        if fmt == "torch":
            return self._export_torch_weights(weights, path)
        savers = {"json": weights_io.save_json, "npz": weights_io.save_npz}
        return self._write_file(
            "Export weights", path, lambda p: savers[fmt](weights, p), f"Exported weights to {path}"
        )

    def _export_torch_weights(self, weights: ModelWeights, path: str | Path) -> bool:
        """Saved by the PyTorch child: importing torch here would freeze the window for seconds.
        True once started; the outcome is shown when the file is written (or is not)."""
        try:
            export = TorchExport(weights, path, self)
        except ImportError as exc:  # PyTorch missing: its own message says what to install
            self.show_error("Export weights", f"Could not export to {Path(path).name}: {exc}")
            return False
        except Exception as exc:
            self._file_failed("Export weights", "Could not export to", path, exc)
            return False
        export.finished.connect(self._on_torch_export_finished)
        self.statusBar().showMessage(f"Exporting weights to {path}…")
        return True

    def _on_torch_export_finished(self, path: str, problem: str) -> None:
        if problem:
            self.show_error("Export weights", f"Could not export to {Path(path).name}: {problem}")
        else:
            self.statusBar().showMessage(f"Exported weights to {path}", STATUS_MS)

    def import_weights(self, path: str | Path) -> bool:
        """Load weights to train from; a file for another network changes nothing."""
        npz = is_npz(path)

        def read() -> ModelWeights:
            return weights_io.load_npz(path) if npz else weights_io.load_json(path)

        try:
            loaded = self._read_file("weights.npz" if npz else "weights.json", read, path, "Import weights")
            spec = self.model_panel.spec() or self._spec
            n_inputs = self._dataset.n_inputs
            # compared with the network's shape: building it (460,000 Values for 8 x 256) took a second
            shape = spec.network_shape(n_inputs, self._dataset.n_outputs)
            problem = loaded.matches_shape(*shape) or input_names_problem(loaded, spec.input_names(n_inputs))
        except LoadCancelled:
            self._say_not_done(f"Did not import {Path(path).name}")
            return False
        except Exception as exc:
            self._file_failed("Import weights", "Could not import", path, exc)
            return False
        if problem:
            self.show_error(
                "Import weights",
                f"{Path(path).name} is for another network: {problem}. "
                "Set the model to match it (or export weights from this one).",
            )
            return False
        if not self._confirm_reset("Importing weights starts training over from them. Reset now?"):
            return False
        self._start_weights = loaded
        self.reset()
        self.statusBar().showMessage(f"Imported weights from {Path(path).name}", STATUS_MS)
        return True

    def import_csv(self, path: str | Path) -> bool:
        """Load the dataset from a CSV file (a bad one reaches show_error through `file_failed`)."""
        return self.data_panel.import_csv(path)

    def export_csv(self, path: str | Path) -> bool:
        return self.data_panel.export_csv(path)

    def export_loss_csv(self, path: str | Path) -> bool:
        done = f"Exported the loss history to {path}"
        return self._write_file("Export loss history", path, self.loss_plot.export_csv, done)

    def export_loss_png(self, path: str | Path) -> bool:
        return self._write_file(
            "Export loss plot", path, self.loss_plot.export_png, f"Exported the loss plot to {path}"
        )

    def export_graph(self, path: str | Path) -> bool:
        """Write the computation graph as shown: .svg, .png or .dot, by the file's suffix."""
        done = f"Exported the graph to {path}"
        return self._write_file("Export graph", path, lambda p: self.graph_view.export(str(p)), done)

    def run_file_dialog(self, dialog: FileDialog, action: str, *args: object) -> None:
        """Ask for a path, then run the action named `action` on it (a name: menus must not hold the window)."""
        if action == "export_graph":
            self._refresh_graph()  # the graph of the current weights, even if its tab was never opened
            self.tabs.setCurrentWidget(self.graph_view)
        if path := ask_path(self, dialog):
            getattr(self, action)(path, *args)

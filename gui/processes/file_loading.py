"""Opening a big file without freezing the window: the engine's loader runs in a child process.

Reading a file is mostly `json.loads`, C code that holds the interpreter (the GIL) for
the whole parse: a legitimate 50 MB session takes about a second here (three on a slow
instance), and a thread would not help. So a file larger than `INLINE_MAX_BYTES` is read,
parsed and checked by the same engine function in a child (gui/processes/file_child.py),
while the window shows a modal progress dialog with Cancel and goes on in a local event
loop: it paints, and a run in progress trains on. The child sends the result packed
(gui/processes/packed.py), and this process rebuilds it in steps short enough to keep
the window responsive. A smaller file is read in the GUI thread as before.

`load_in_child` is synchronous for its caller: it returns what the loader returned, or
raises what it raised (the exception itself, so that the message shown is the one the
inline path shows), `LoadCancelled` if the user cancelled or the window closed or the app
quit (the child is killed; nothing is left running), or `ChildEnded` if the child died.
"""

from __future__ import annotations

import contextlib
import os
import stat
import weakref
from pathlib import Path

from PySide6.QtCore import QEvent, QEventLoop, QObject, Qt, Signal, Slot
from PySide6.QtWidgets import QApplication, QProgressDialog, QWidget

from gui.processes.child_process import ChildProcess
from gui.processes.packed import unpack

MODULE = "gui.processes.file_child"
# Files up to this size are read in the GUI thread. Parsing and checking 256 KB of the
# costliest JSON (tiny objects or lists, "[0],[0],...") takes 5-11 ms here, 20-45 ms on a slow
# instance: under the 100 ms goal, with room for showing the file. Above it, starting the child
# (about 0.1 s) costs less than the freeze it saves. Every file the app ships, and the sessions
# and weights of any model up to 2-16-16-1 with a few hundred steps of history, are smaller.
INLINE_MAX_BYTES = 256 * 1024


class LoadCancelled(Exception):
    """The user cancelled the load, or the window closed or the app quit while it ran."""


class Busy(Exception):
    """Another file is still being read for this window."""


class ChildEnded(Exception):
    """The process reading the file ended before it answered (killed, or out of memory)."""


def is_big(path: str | os.PathLike) -> bool:
    """Whether `path` is a regular file larger than INLINE_MAX_BYTES (anything else is read inline:
    the loaders refuse devices, folders and missing files at once, with their own messages)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return False
    return stat.S_ISREG(info.st_mode) and info.st_size > INLINE_MAX_BYTES


_running: weakref.WeakSet[FileLoad] = weakref.WeakSet()


def running_pids() -> list[int]:
    """The process ids of the children reading files now (tests check that none outlives its load)."""
    return [load.pid for load in list(_running) if load.alive]


class FileLoad(QObject):
    """One file read by a child: `finished` (in the GUI thread) once `outcome` is known.

    `outcome`: ("loaded", the object) or ("failed", the exception to raise); None until then.
    """

    finished = Signal()
    _arrived = Signal(object)  # emitted from the child's reader thread, handled in the GUI thread

    def __init__(
        self, kind: str, path: str | os.PathLike, options: dict | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.outcome: tuple[str, object] | None = None
        self._arrived.connect(self._on_arrived, Qt.ConnectionType.QueuedConnection)
        self._child = ChildProcess(MODULE, self._on_event, "file-load")
        self._child.send(("load", kind, os.path.abspath(path), dict(options or {})))  # it runs elsewhere
        _running.add(self)
        weakref.finalize(self, self._child.kill)  # dropped unfinished: its child must not live on

    @property
    def pid(self) -> int:
        return self._child.pid

    @property
    def alive(self) -> bool:
        return self._child.alive

    def cancel(self) -> None:
        """Kill the child (milliseconds); what it would have answered is dropped."""
        self._child.kill()

    def _on_event(self, event: tuple) -> None:
        """From the reader thread: the result is rebuilt here, in short steps (see packed.py)."""
        if event[0] == "loaded":
            try:
                outcome: tuple[str, object] = ("loaded", unpack(event[1]))
            except Exception as exc:  # too deep, or out of memory: said as the inline path would
                outcome = ("failed", exc)
        elif event[0] == "failed":
            outcome = ("failed", _exception(*event[1:]))
        else:  # ("exited", code): the child died before it answered
            code = event[1]
            how = f"it was stopped by signal {-code}" if code < 0 else f"exit code {code}"
            outcome = ("failed", ChildEnded(f"the process reading it ended before it was done ({how})"))
        with contextlib.suppress(RuntimeError):  # the load was dropped: nobody waits for it
            self._arrived.emit(outcome)

    @Slot(object)
    def _on_arrived(self, outcome: tuple[str, object]) -> None:
        if self.outcome is not None:
            return  # the child's end after its answer
        self.outcome = outcome
        self.cancel()  # done: the child has nothing more to do
        self.finished.emit()


class _Unpicklable(Exception):
    """Stands for one of our own exceptions that did not pickle (a gui module: its message is shown)."""


def _exception(exc: BaseException | None, module: str, name: str, message: str) -> BaseException:
    """The loader's exception, or a stand-in that `describe_file_error` words the same way: our own
    errors' messages are written for the user, any other is worded as an unknown error."""
    if exc is not None:
        return exc
    return _Unpicklable(message) if module.startswith(("engine", "gui")) and message else Exception(message)


class _CloseWatcher(QObject):
    """Calls `on_close` when `window` gets a close event (before the window handles it)."""

    def __init__(self, window: QWidget, on_close) -> None:
        super().__init__()
        self._window, self._on_close = window, on_close
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            self._on_close()
        return False

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):
            self._window.removeEventFilter(self)


_loading_windows: weakref.WeakSet[QWidget] = weakref.WeakSet()


def load_in_child(
    window: QWidget, kind: str, path: str | os.PathLike, title: str, options: dict | None = None
) -> object:
    """Read `path` with the child's loader `kind` ("session", "weights.json", "weights.npz" or "csv",
    with keyword `options`) while `window` shows "Opening big.json…" with Cancel and runs on. See the
    module's docstring. Raises Busy if `window` is reading another file (its event loop runs: a
    script or a timer may ask)."""
    if window in _loading_windows:
        raise Busy("another file is still being opened; try again when it is open")
    _loading_windows.add(window)
    try:
        return _load_with_dialog(window, kind, path, title, options)
    finally:
        _loading_windows.discard(window)


def _load_with_dialog(
    window: QWidget, kind: str, path: str | os.PathLike, title: str, options: dict | None
) -> object:
    load = FileLoad(kind, path, options)
    dialog = progress_dialog(window, title, f"Opening {Path(path).name}…")
    loop = QEventLoop()
    load.finished.connect(loop.quit)
    # Cancel, Escape, closing the window or quitting: the user's word wins even if the file arrives
    # before this wait returns (a load in another window, run inside this wait, holds it until its end)
    stopped: list[bool] = []

    def stop() -> None:
        stopped.append(True)
        loop.quit()

    dialog.canceled.connect(stop)  # Cancel clicked
    dialog.rejected.connect(stop)  # Escape
    closing = _CloseWatcher(window, stop)
    window.destroyed.connect(stop)  # deleted by a script meanwhile, its dialog with it
    app = QApplication.instance()
    app.aboutToQuit.connect(stop)
    dialog.show()
    try:
        if load.outcome is None:
            loop.exec()  # also ends when the app quits: QCoreApplication.exit() ends every loop
    finally:
        load.cancel()
        closing.remove()
        app.aboutToQuit.disconnect(stop)
        load.deleteLater()
        with contextlib.suppress(RuntimeError):  # the window (and so the dialog) was deleted
            window.destroyed.disconnect(stop)
            dialog.canceled.disconnect(stop)
            dialog.rejected.disconnect(stop)
            dialog.hide()
            dialog.deleteLater()
    if load.outcome is None or stopped:
        raise LoadCancelled()
    result, value = load.outcome
    if result == "failed":
        raise value
    return value


def progress_dialog(window: QWidget, title: str, text: str) -> QProgressDialog:
    """A window-modal busy indicator with Cancel: the window paints and runs, its controls wait."""
    dialog = QProgressDialog(text, "Cancel", 0, 0, window)  # 0 to 0: busy, no percentage
    dialog.setWindowTitle(title)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(0)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    dialog.setMinimumWidth(360)
    return dialog


def read_file(
    window: QWidget, kind: str, read, path: str | os.PathLike, title: str, options: dict | None = None
):
    """`read()` in the GUI thread if `path` is small (or not a regular file); else the child's loader
    `kind`, given `options`, reads it (`load_in_child`). Raises what the loader raises, or LoadCancelled."""
    if not is_big(path):
        return read()
    return load_in_child(window, kind, path, title, options)

"""Acting inside a big file's load, in tests: the child's command waits until the test's action.

A big file is read by a child process while the window shows a progress dialog and runs a local
event loop (gui/processes/file_loading.py); a test acts from a timer inside that loop. On a loaded
machine the window's thread can lose the processor between starting the child and entering the
loop for longer than the child needs to read a small file, answer and exit: the loop then ends
at its first turn, before the test's timer, and the action never runs inside it (its timer is
left polling into the next test). Holding the child's answer back is not enough: the child has
exited by then, so a look for a running child finds none.

So the load's command itself is held here: until the action starts, the child is alive, waiting
for it, and cannot have answered, however slow the machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressDialog

from gui.processes import file_loading
from gui.processes.child_process import ChildProcess

Action = Callable[[QProgressDialog, int], object]


class FileLoadGate:
    """Holds the command of a file-reading child started while a test waits to act (see the module)."""

    def __init__(self, monkeypatch) -> None:
        self._holding = False
        self._held: list[tuple[ChildProcess, tuple]] = []
        self._active = True
        gate = self

        class HeldChild(ChildProcess):
            def send(self, command: tuple) -> None:
                if gate._holding:
                    gate._held.append((self, command))
                else:
                    super().send(command)

        monkeypatch.setattr(file_loading, "ChildProcess", HeldChild)

    def on_dialog(self, window, action: Action, answer_during_action: bool = False) -> list[tuple[str, int]]:
        """Call `action(dialog, pid)` once, inside the load `window` starts next, while its child waits.

        Returns what it saw, [(the dialog's text, the child's pid)], once the action ran. The child
        gets its command after the action returned; with `answer_during_action`, just before it
        (its answer may then arrive in an event loop the action runs). Loads that the action
        itself starts are not held."""
        seen: list[tuple[str, int]] = []
        self._holding = True

        def look() -> None:
            if not self._active or seen:
                return  # a look left from a test that ended without its load
            dialogs = [d for d in window.findChildren(QProgressDialog) if d.isVisible()]
            if not (dialogs and self._held):
                QTimer.singleShot(1, look)
                return
            seen.append((dialogs[0].labelText(), self._held[0][0].pid))
            self._holding = False
            if answer_during_action:
                self._release()
            action(dialogs[0], seen[0][1])
            self._release()

        QTimer.singleShot(0, look)
        return seen

    def _release(self) -> None:
        held, self._held = self._held, []
        for child, command in held:
            ChildProcess.send(child, command)  # to a child the action killed, it goes nowhere

    def close(self) -> None:
        self._active = False
        self._holding = False
        self._release()


_current: list[FileLoadGate] = []  # the running test's gate (the `held_file_loads` fixture's)


def installed(monkeypatch) -> Iterator[FileLoadGate]:
    """The `held_file_loads` fixture (tests/gui/conftest.py): a gate for one test, released at its end."""
    gate = FileLoadGate(monkeypatch)
    _current[:] = [gate]
    yield gate
    gate.close()
    _current.clear()


def on_dialog(window, action: Action, answer_during_action: bool = False) -> list[tuple[str, int]]:
    """`FileLoadGate.on_dialog` of the running test's gate (its module uses `held_file_loads`)."""
    assert _current, "use the held_file_loads fixture: without it the child may answer first"
    return _current[0].on_dialog(window, action, answer_during_action)

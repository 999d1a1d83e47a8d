"""PyTorch's half of the "vs PyTorch" comparisons, in a child process: the window never imports torch.

The graph tab sets PyTorch's float64 grads of every parameter beside ours, the
Expression tab its value and grads of the expression. Importing torch takes seconds,
and even in a thread of the window's process its module setup holds the interpreter
(the GIL) for 0.1-0.6 s at a time: a frozen window. So PyTorch runs in a child
(`python -m gui.processes.torch_child`), started at the first comparison and shared by the
views of the process. The child imports torch, then answers the requests in order.

The parent's end is one `TorchComparer` per view: `compare_grads` and
`compare_expression` return a request id at once, and `answered` brings the answer
in the GUI thread. `TorchExport` saves weights as a PyTorch `.pt` file there too
(`torch.save` needs torch), and says when the file is written or why not. The child is killed when the last comparer is closed or dropped,
and ends by itself if the window's process dies (its stdin closes).

Commands (parent → child)                             Events (child → parent)
  ("grads", id, ModelWeights, inputs, targets, loss)    ("ready", ok, why)    torch imported, or why not
  ("expression", id, text, variables)                   ("answer", id, result, failure, why)
  ("save", id, ModelWeights, absolute path)               failure: "" (result set), "load" or "compute"
                                                          (a failed save's result: the exception, if it pickles)
"""

from __future__ import annotations

import contextlib
import errno
import functools
import importlib.util
import itertools
import os
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal, Slot

from engine.weights import ModelWeights
from gui.panels.input_checks import describe_file_error
from gui.processes.child_process import ChildProcess
from gui.processes.torch_child import LOAD

MODULE = "gui.processes.torch_child"  # what the child runs
INSTALL_HINT = "its CPU build: pip install torch --index-url https://download.pytorch.org/whl/cpu"
NOT_INSTALLED = f"PyTorch is not installed ({INSTALL_HINT})"


def torch_installed() -> bool:
    """Whether torch can be imported, found without importing it (cheap)."""
    return importlib.util.find_spec("torch") is not None


# ---- the parent


class _Service:
    """The one child of the process and the comparers using it (thread-safe: events come from a thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: ChildProcess | None = None
        self._generation = 0  # which child an event comes from: a killed child's late events are dropped
        self._ready = False
        self._clients: dict[int, weakref.ref[TorchComparer]] = {}
        self._pending: dict[int, int] = {}  # request id -> client key
        self._ids = itertools.count(1)

    @property
    def loading(self) -> bool:
        """The child is starting: torch is still being imported."""
        with self._lock:
            return self._child is not None and not self._ready

    @property
    def pid(self) -> int | None:
        with self._lock:
            child = self._child
        return child.pid if child is not None and child.alive else None

    def start(self, client: TorchComparer) -> None:
        with self._lock:
            self._start(client)

    def request(self, client: TorchComparer, command: tuple) -> int:
        with self._lock:
            child = self._start(client)
            request_id = next(self._ids)
            self._pending[request_id] = client.key
            child.send((command[0], request_id, *command[1:]))
        return request_id

    def _start(self, client: TorchComparer) -> ChildProcess:
        """Count `client` as a user, and start the child if it is not running (with the lock held)."""
        self._clients[client.key] = weakref.ref(client)
        if self._child is None or not self._child.alive:
            self._generation += 1
            self._ready = False
            on_event = functools.partial(self._on_event, self._generation)
            self._child = ChildProcess(MODULE, on_event, "pytorch")
        return self._child

    def release(self, key: int) -> None:
        """This comparer is done; with the last one gone, the child is killed."""
        with self._lock:
            self._clients.pop(key, None)
            self._pending = {r: k for r, k in self._pending.items() if k != key}
            child = None
            if not self._clients:
                child, self._child = self._child, None
        if child is not None:
            child.kill()

    def shutdown(self) -> None:
        """Kill the child now (the app is quitting)."""
        with self._lock:
            child, self._child = self._child, None
            self._pending.clear()
        if child is not None:
            child.kill()

    def _on_event(self, generation: int, event: tuple) -> None:
        """From the child's reader thread."""
        with self._lock:
            if generation != self._generation:
                return
            if event[0] == "ready":
                self._ready = True
                return
            if event[0] == "exited":  # died (killed from outside, out of memory): nobody will answer
                self._child, self._ready = None, False
                answers = [
                    (
                        key,
                        request_id,
                        None,
                        LOAD,
                        f"PyTorch's process ended unexpectedly (exit code {event[1]})",
                    )
                    for request_id, key in self._pending.items()
                ]
                self._pending.clear()
            else:
                _kind, request_id, result, failure, why = event
                key = self._pending.pop(request_id, None)
                answers = [] if key is None else [(key, request_id, result, failure, why)]
            receivers = [(self._clients.get(key), answer) for key, *answer in answers]
        for ref, answer in receivers:
            client = ref() if ref is not None else None
            if client is not None:
                client.deliver(*answer)


_service = _Service()


def service() -> _Service:
    """The process's one PyTorch child and its users (tests and benchmarks look at `pid`)."""
    return _service


def shutdown() -> None:
    """Kill the PyTorch child now, whoever uses it (the app quits)."""
    _service.shutdown()


class TorchComparer(QObject):
    """A view's access to the PyTorch child: ask, and get `answered` in the GUI thread.

    `answered(request_id, result, failure, why)`: result None if failure ("load": PyTorch could
    not be loaded or its process died; "compute": it could not compute this), `why` the reason.
    """

    answered = Signal(int, object, str, str)
    _delivered = Signal(int, object, str, str)  # emitted from the reader thread, handled in ours

    _keys = itertools.count(1)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.key = next(self._keys)
        self._delivered.connect(self._on_delivered, Qt.ConnectionType.QueuedConnection)
        # Dropped without close() (a window deleted without closing): the child must not live on.
        weakref.finalize(self, _service.release, self.key)

    @property
    def loading(self) -> bool:
        """PyTorch is still being imported in the child: an answer will take seconds."""
        return _service.loading

    def start(self) -> None:
        """Start the child (importing torch) ahead of the first comparison, if it is not running."""
        _service.start(self)

    def compare_grads(
        self, weights: ModelWeights, inputs: Sequence[Sequence[float]], targets: Sequence[float], loss: str
    ) -> int:
        """Ask for PyTorch's loss and parameter grads (engine.weights.torch_parameter_grads)."""
        return _service.request(self, ("grads", weights, [list(x) for x in inputs], list(targets), loss))

    def compare_expression(self, text: str, variables: dict[str, float]) -> int:
        """Ask for PyTorch's value and grads of an expression (engine.expression.to_torch)."""
        return _service.request(self, ("expression", text, dict(variables)))

    def save_torch(self, weights: ModelWeights, path: str | os.PathLike) -> int:
        """Ask for `weights` saved as a PyTorch state_dict at `path` (engine.weights.save_torch)."""
        return _service.request(self, ("save", weights, os.path.abspath(path)))  # the child runs elsewhere

    def close(self) -> None:
        """No more answers for this comparer; safe to call twice, and it may ask again later."""
        _service.release(self.key)

    def deliver(self, request_id: int, result: object, failure: str, why: str) -> None:
        """From the reader thread: hand the answer to the GUI thread."""
        with contextlib.suppress(RuntimeError):  # its Qt object is already deleted: nobody waits
            self._delivered.emit(request_id, result, failure, why)

    @Slot(int, object, str, str)
    def _on_delivered(self, request_id: int, result: object, failure: str, why: str) -> None:
        self.answered.emit(request_id, result, failure, why)


class TorchExport(QObject):
    """Weights saved as a PyTorch `.pt` file by the PyTorch child, while the window goes on.

    A missing folder is found at once: the constructor raises, as a save would. Anything else
    (weights that could not be loaded back, a disk that refuses: the child's `save_torch` finds
    them, without holding the window for the largest model's 0.4 s check) comes with
    `finished(path, problem)`: problem "" once the file is written, else why not, in words
    about the file. The export then lets go of the child (killed if no view compares with PyTorch).
    """

    finished = Signal(str, str)  # path, "" or why the file could not be written

    def __init__(self, weights: ModelWeights, path: str | os.PathLike, parent: QObject | None = None) -> None:
        if not torch_installed():
            raise ImportError(NOT_INSTALLED)
        _check_folder(Path(path))
        super().__init__(parent)
        self.path = str(path)
        self._comparer = TorchComparer(self)
        self._comparer.answered.connect(self._on_answered)
        self._request = self._comparer.save_torch(weights, path)

    @property
    def pending(self) -> bool:
        return self._request is not None

    def _on_answered(self, request_id: int, result: object, failure: str, why: str) -> None:
        if request_id != self._request:
            return
        self._request = None
        self._comparer.close()
        if not failure:
            problem = ""
        elif isinstance(result, BaseException):
            problem = describe_file_error(result)
        else:
            problem = why  # PyTorch could not be loaded, or its process ended: its message says so
        self.finished.emit(self.path, problem)
        self.deleteLater()  # done: the window need not keep it


def _check_folder(path: Path) -> None:
    """Raise as writing the file would, if its folder is missing or not a folder."""
    folder = path.absolute().parent
    if not folder.exists():
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(folder))
    if not folder.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(folder))

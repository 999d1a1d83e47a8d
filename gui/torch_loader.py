"""PyTorch, imported in a background thread: its first import takes seconds, which the GUI thread must not wait.

The views compare their grads with PyTorch's. The first comparison used to import
torch in the GUI thread (1-2 s of a frozen window, more on a slow machine). Now a
view asks `torch_ready()`; if it is False, it calls `load_torch()`, says "Loading
PyTorch…", and redoes the comparison on `loader().finished`.

Most of the import is Python code, which lets the GUI thread run every few
milliseconds. Its largest single block is loading libtorch (about a second, with the
GIL held by the dynamic loader); that library is therefore loaded first through a
foreign call, which releases the GIL. What remains is torch's own module setup
(a third of a second here) that no thread can share.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

_LIBRARIES = ("libc10.so", "libtorch_cpu.so", "libtorch.so", "libtorch_python.so")


class TorchLoader(QObject):
    """Imports torch once, in a thread; `finished(ok, message)` in the GUI thread when done."""

    finished = Signal(bool, str)

    def __init__(self) -> None:
        super().__init__()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()  # set before `finished` is emitted
        self.error = ""  # why torch could not be imported, once it failed

    @property
    def loading(self) -> bool:
        # Not thread.is_alive(): `finished` is delivered while the thread may still be ending.
        return self._thread is not None and not self._done.is_set()

    def load(self) -> None:
        """Start importing torch (once); `finished` follows."""
        if self._thread is not None:
            return
        # Not a daemon: an interpreter that exits during the import would abort (a daemon thread
        # inside torch's initialisation at shutdown); exiting waits for the import instead.
        self._thread = threading.Thread(target=self._run, name="import torch", daemon=False)
        self._thread.start()

    def _run(self) -> None:
        try:
            _preload_libraries()
            _import_torch()
        except Exception as exc:  # ImportError, or a broken install: the comparison says so
            self.error = f"PyTorch could not be loaded ({exc})"
            self._done.set()
            self.finished.emit(False, self.error)
            return
        self._done.set()
        self.finished.emit(True, "")


_loader: TorchLoader | None = None


def loader() -> TorchLoader:
    """The one loader of the process (its signals are delivered in the GUI thread)."""
    global _loader
    if _loader is None:
        _loader = TorchLoader()
    return _loader


def torch_installed() -> bool:
    return "torch" in sys.modules or importlib.util.find_spec("torch") is not None


def torch_ready() -> bool:
    """True if torch is imported (and not still being imported): using it now costs nothing."""
    module = sys.modules.get("torch")
    return module is not None and not loader().loading and hasattr(module, "tensor")


def load_torch() -> None:
    loader().load()


def _import_torch() -> None:
    import torch  # noqa: F401  (the point: imported here, in the loader's thread)


def _preload_libraries() -> None:
    """dlopen libtorch's shared libraries through ctypes, which releases the GIL while they load."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations or not sys.platform.startswith("linux"):
        return
    lib_dir = Path(next(iter(spec.submodule_search_locations))) / "lib"
    try:
        libc = ctypes.CDLL(None)
        dlopen = libc.dlopen
    except (OSError, AttributeError):
        return
    dlopen.restype = ctypes.c_void_p
    dlopen.argtypes = [ctypes.c_char_p, ctypes.c_int]
    for name in _LIBRARIES:
        path = lib_dir / name
        if path.exists():
            dlopen(os.fsencode(path), os.RTLD_NOW | os.RTLD_LOCAL)  # a failure here only costs time later

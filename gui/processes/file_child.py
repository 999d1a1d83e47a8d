"""The child end of gui/processes/file_loading.py: reads one big file with the engine's own loader (no Qt here).

Run as `python -m gui.processes.file_child`. It takes one command, ("load", kind, absolute
path, options), runs the loader of that kind with those keyword options (the very function
the window calls for small files), and answers with one event:

    ("loaded", packed)                            the result, packed (gui/processes/packed.py)
    ("failed", exception or None, module, name, message)
                                                  the exception the loader raised, if it pickles,
                                                  else its class's module and name and its message
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from gui.processes.child_process import Receive, Send, child_main, picklable
from gui.processes.packed import pack


def _load_session(path: str) -> object:
    from engine.session import load_session

    return load_session(path)


def _load_weights_json(path: str) -> object:
    from engine.weights import load_json

    return load_json(path)


def _load_weights_npz(path: str) -> object:
    from engine.weights import load_npz

    return load_npz(path)


def _read_csv(path: str, max_rows: int | None = None, task: str | None = None) -> object:
    from engine.data import read_csv

    return read_csv(path, max_rows=max_rows, task=task)


LOADERS: dict[str, Callable[..., object]] = {
    "session": _load_session,
    "weights.json": _load_weights_json,
    "weights.npz": _load_weights_npz,
    "csv": _read_csv,
}


def serve(receive: Receive, send: Send) -> None:
    """Answer the one load the parent asks for; the parent kills the process once it has the answer."""
    command = receive()
    if command is None:
        return
    _load, kind, path, options = command
    try:
        loaded = LOADERS[kind](
            path, **options
        )  # with the interpreter's usual recursion limit, as in the window
        sys.setrecursionlimit(10_000)  # packing walks the tree: a few frames per level the parser allowed
        result = pack(loaded)
    except Exception as exc:
        send(("failed", exc if picklable(exc) else None, type(exc).__module__, type(exc).__name__, str(exc)))
    else:
        send(("loaded", result))


if __name__ == "__main__":
    child_main(serve)

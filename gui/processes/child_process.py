"""A Python child process that takes pickled commands on its stdin and answers with pickled events.

Work that would hold the window's interpreter (Python runs one thread at a time
per process) runs in a child instead: it has an interpreter of its own. Both ends
live here and import no Qt, so the child starts light.

The parent's end, `ChildProcess`, starts `python -m <module>`, writes commands from
a writer thread (a full pipe never blocks the GUI thread) and hands every event to a
callback from a reader thread. The child's end, `child_main`, gives a `receive` and a
`send` to the module's loop. The child ends when its stdin closes, so it never outlives
the parent, even one that was killed.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

PROJECT_ROOT = Path(__file__).resolve().parents[2]  # where `engine` and `gui` live

Receive = Callable[[], "tuple | None"]
Send = Callable[[tuple], None]


class ChildProcess:
    """`python -m module` with its writer and reader threads; events go to `on_event` (from a thread).

    If the child ends without `kill()`, `on_event` gets a last ("exited", return code).
    """

    def __init__(self, module: str, on_event: Callable[[tuple], None], name: str):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", module],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=PROJECT_ROOT,
            env=env,
        )
        self._outbox: queue.SimpleQueue = queue.SimpleQueue()
        self._killed = threading.Event()
        self._on_event = on_event
        self._writer = threading.Thread(target=self._write, name=f"{name}-writer", daemon=True)
        self._reader = threading.Thread(target=self._read, name=f"{name}-reader", daemon=True)
        self._writer.start()
        self._reader.start()

    @property
    def alive(self) -> bool:
        return not self._killed.is_set() and self.process.poll() is None

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, command: tuple) -> None:
        """Queue a command; never blocks on the pipe."""
        self._outbox.put(command)

    def kill(self) -> None:
        """Kill the child and reap it (milliseconds); the threads end by themselves at end of file."""
        self._killed.set()
        self._outbox.put(None)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def _write(self) -> None:
        stdin = self.process.stdin
        try:
            while (command := self._outbox.get()) is not None:
                pickle.dump(command, stdin, protocol=pickle.HIGHEST_PROTOCOL)
                stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the child is gone; the reader says so
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    def _read(self) -> None:
        stdout = self.process.stdout
        try:
            while True:
                self._on_event(pickle.load(stdout))
        except (EOFError, OSError, ValueError, pickle.UnpicklingError):
            pass
        except RuntimeError:
            return  # whoever listened is gone (its Qt object was deleted)
        finally:
            stdout.close()
        code = self.process.wait()
        if not self._killed.is_set():
            with contextlib.suppress(RuntimeError):
                self._on_event(("exited", code))


def child_main(serve: Callable[[Receive, Send], None]) -> None:
    """The child's entry point: run `serve(receive, send)` on the pipes from the parent.

    `receive()` returns the next command, or None once the parent closed the pipe (or died).
    """
    # Ctrl+C in the terminal goes to the whole process group; the window quits and
    # closes our stdin, which ends us. A traceback from here would only be noise.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    events = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must never enter the event stream
    serve_streams(serve, sys.stdin.buffer, events)


def serve_streams(serve: Callable[[Receive, Send], None], commands: BinaryIO, events: BinaryIO) -> None:
    """Run `serve(receive, send)` over two byte streams of pickled tuples (what the pipes carry)."""

    def receive() -> tuple | None:
        try:
            return pickle.load(commands)
        except (EOFError, OSError, pickle.UnpicklingError):
            return None

    def send(event: tuple) -> None:
        pickle.dump(event, events, protocol=pickle.HIGHEST_PROTOCOL)
        events.flush()

    with contextlib.suppress(OSError):  # a broken pipe: the parent went away
        serve(receive, send)


def picklable(exc: BaseException) -> bool:
    """Whether an exception survives the pipe (pickled and back): a child sends it whole, or only its text."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return False
    return True

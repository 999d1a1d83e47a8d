"""A worker thread for views: it runs the newest job submitted and drops the ones it never started.

Views that compute from each weight snapshot (the decision boundary's picture, the
diagnostics' neuron activity) would fall behind a training run if they did every
job; only the newest matters. NumPy releases the GIL in its loops, so the window
keeps answering while the thread computes.
"""

from __future__ import annotations

import atexit
import threading
import weakref
from collections.abc import Callable

# Threads still running at exit are ended and joined while the interpreter is whole: Python stops
# daemon threads where they stand, and one stopped inside compiled code may abort the process.
_LIVE: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _end_threads() -> None:
    for jobs in list(_LIVE):
        jobs.close()
        jobs.join(2.0)


class LatestJobThread:
    """One thread that runs the newest job submitted (older ones still waiting are dropped) and
    hands each result to `deliver` (called in the thread; a Qt signal's emit brings it home)."""

    def __init__(self, deliver: Callable[[object], None], name: str) -> None:
        self._deliver = deliver
        self._name = name
        self._job: Callable[[], object] | None = None
        self._closed = False
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, job: Callable[[], object]) -> None:
        with self._wake:
            self._job = job
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                _LIVE.add(self)
                self._thread.start()
            self._wake.notify()

    def drop(self) -> None:
        """Forget the job still waiting, if any (the one running, if any, runs on)."""
        with self._wake:
            self._job = None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def close(self, *_: object) -> None:
        """End the thread once the job it is doing (if any) is done; no newer job starts."""
        with self._wake:
            self._closed, self._job = True, None
            self._wake.notify()

    def join(self, timeout: float) -> None:
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._wake:
                while self._job is None and not self._closed:
                    self._wake.wait()
                if self._closed:
                    return
                job, self._job = self._job, None
            try:
                result = job()
            except Exception:  # a model that cannot be drawn (or measured) shows nothing new
                continue
            try:
                self._deliver(result)
            except RuntimeError:
                return  # the view was deleted

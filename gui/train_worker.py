"""Training in a worker thread, so the window stays live while the engine works.

`TrainWorker` owns the `Trainer` (and with it the live model) and runs in a
QThread; the GUI thread never touches either. Progress reaches the GUI in
batches, a few per second, each with a copy of the weights. `TrainController`
lives in the GUI thread and owns the thread: it starts, pauses, steps, resets
and shuts training down, and drops whatever an outdated worker still sends.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine.train import StepResult, Trainer, TrainSettings
from engine.weights import ModelWeights

EMIT_INTERVAL_S = 0.1  # progress batches per second: ten is smooth, and cheap to draw
MAX_GUI_HOLD_S = 0.25  # the longest training waits for a redraw before going on anyway


class TrainWorker(QObject):
    """Runs one Trainer's steps in the thread it was moved to."""

    progressed = Signal(int, list, object, float)  # generation, [StepResult], ModelWeights, steps/s
    halted = Signal(int, str, str)  # generation, state ("paused", "finished", "diverged"), message
    engine_changed = Signal(int, str, str)  # generation, one line for the status bar, details (or "")

    def __init__(self, trainer: Trainer, generation: int):
        super().__init__()
        self._trainer = trainer
        self._generation = generation
        self._pause = threading.Event()
        self._cancelled = threading.Event()  # set once, when this worker's run is dropped
        self._idle = threading.Event()
        self._idle.set()
        # Cleared while the GUI thread redraws a view. Both threads want the GIL,
        # and Python shares it evenly, so a 30 ms redraw took 60-100 ms of wall
        # clock with training running; waiting between steps hands the GUI the
        # whole interpreter for that moment, and costs training only the redraw.
        self._gui_done = threading.Event()
        self._gui_done.set()
        self._engine_said: tuple[str, str] | None = None
        self._pending_settings: TrainSettings | None = None
        self._lock = threading.Lock()

    # ---- called from the GUI thread (thread-safe)

    def request_pause(self) -> None:
        self._pause.set()

    def clear_pause(self) -> None:
        """Before asking to run: a pause requested earlier must not stop the new run."""
        self._pause.clear()

    def cancel(self) -> None:
        """Stop for good, even a run that is still queued and has not started yet."""
        self._cancelled.set()
        self._pause.set()

    def update_settings(self, settings: TrainSettings) -> None:
        """New settings (e.g. a learning rate) for the next step onwards."""
        with self._lock:
            self._pending_settings = settings

    def hold_for_gui(self) -> None:
        """The GUI is about to redraw: pause between steps until `release_for_gui`."""
        self._gui_done.clear()

    def release_for_gui(self) -> None:
        self._gui_done.set()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        return self._idle.wait(timeout)

    # ---- run in the worker thread

    @Slot()
    def run(self) -> None:
        self._loop(max_steps=None)

    @Slot()
    def step_once(self) -> None:
        self._loop(max_steps=1)

    def _apply_pending_settings(self) -> None:
        with self._lock:
            pending, self._pending_settings = self._pending_settings, None
        if pending is not None:
            self._trainer.settings = pending

    def _report_engine(self) -> None:
        """Say which engine ran the step (plain or compiled, and why) when that changes."""
        trainer = self._trainer
        summary = trainer.compile_summary
        if trainer.settings.compiled and trainer.compiled_reason is None and summary is not None:
            said = (
                f"compiled: {summary.scalar_ops:,} scalar ops → {summary.array_ops} array ops",
                summary.describe(),
            )
        elif trainer.settings.compiled:
            said = ("plain engine", f"Compiled mode is not in use: {trainer.compiled_reason}.")
        else:
            said = ("plain engine", "")
        if said != self._engine_said:
            self._engine_said = said
            self.engine_changed.emit(self._generation, *said)

    def _loop(self, max_steps: int | None) -> None:
        self._idle.clear()
        trainer = self._trainer
        batch: list[StepResult] = []
        last_emit = time.perf_counter()
        rate = 0.0
        steps = 0
        try:
            if self._cancelled.is_set():
                return
            while not trainer.done and not self._pause.is_set():
                if max_steps is not None and steps >= max_steps:
                    break
                if not self._gui_done.is_set():
                    self._gui_done.wait(MAX_GUI_HOLD_S)
                self._apply_pending_settings()
                result = trainer.step()
                steps += 1
                self._report_engine()
                if result is not None:
                    batch.append(result)
                now = time.perf_counter()
                if batch and now - last_emit >= EMIT_INTERVAL_S:
                    rate = len(batch) / (now - last_emit)  # measured here, where the steps run
                    self.progressed.emit(
                        self._generation, batch, ModelWeights.from_model(trainer.model), rate
                    )
                    batch, last_emit = [], now
            if batch:
                if len(batch) > 1 or not rate:
                    rate = len(batch) / max(time.perf_counter() - last_emit, 1e-9)
                self.progressed.emit(self._generation, batch, ModelWeights.from_model(trainer.model), rate)
            if trainer.diverged:
                self.halted.emit(self._generation, "diverged", trainer.diverged)
            elif trainer.done:
                self.halted.emit(self._generation, "finished", f"Finished {trainer.step_count} steps.")
            else:
                self.halted.emit(self._generation, "paused", f"Paused at step {trainer.step_count}.")
        finally:
            self._idle.set()


class TrainController(QObject):
    """The GUI thread's handle on training: one worker thread, one worker per run."""

    progressed = Signal(list, object, float)  # [StepResult], ModelWeights, steps/s: current run only
    halted = Signal(str, str)  # state, message
    engine_changed = Signal(str, str)  # status line, details

    _run_requested = Signal()
    _step_requested = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread = QThread()
        self._thread.setObjectName("training")
        self._thread.start()
        self._worker: TrainWorker | None = None
        self._generation = 0
        self.running = False

    @property
    def has_run(self) -> bool:
        """True once a Trainer exists (training started and not reset)."""
        return self._worker is not None

    def start(self, trainer: Trainer) -> None:
        """Adopt a new Trainer (replacing any old one) without starting it."""
        self._drop_worker()
        self._generation += 1
        worker = TrainWorker(trainer, self._generation)
        worker.moveToThread(self._thread)
        worker.progressed.connect(self._on_worker_progressed)
        worker.halted.connect(self._on_worker_halted)
        worker.engine_changed.connect(self._on_worker_engine_changed)
        self._run_requested.connect(worker.run)
        self._step_requested.connect(worker.step_once)
        self._worker = worker

    def resume(self) -> None:
        if self._worker is not None and not self.running:
            self.running = True
            self._worker.clear_pause()
            self._run_requested.emit()

    def step(self) -> None:
        if self._worker is not None and not self.running:
            self.running = True
            self._worker.clear_pause()
            self._step_requested.emit()

    def pause(self) -> None:
        if self._worker is not None:
            self._worker.request_pause()

    def update_settings(self, settings: TrainSettings) -> None:
        if self._worker is not None:
            self._worker.update_settings(settings)

    def hold_for_gui(self) -> None:
        """Training pauses between steps while the GUI redraws (see TrainWorker)."""
        if self._worker is not None and self.running:
            self._worker.hold_for_gui()

    def release_for_gui(self) -> None:
        if self._worker is not None:
            self._worker.release_for_gui()

    def reset(self) -> None:
        """Stop and forget the current run; its late signals are ignored."""
        self._drop_worker()
        self._generation += 1
        self.running = False

    def shutdown(self) -> None:
        """Stop training and the thread; safe to call twice (closeEvent, then tests)."""
        self._drop_worker()
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait()

    def _drop_worker(self) -> None:
        worker, self._worker = self._worker, None
        if worker is None:
            return
        worker.cancel()
        worker.wait_idle()
        self._run_requested.disconnect(worker.run)
        self._step_requested.disconnect(worker.step_once)
        worker.deleteLater()

    @Slot(int, list, object, float)
    def _on_worker_progressed(
        self, generation: int, results: list, weights: ModelWeights, rate: float
    ) -> None:
        if generation == self._generation:
            self.progressed.emit(results, weights, rate)

    @Slot(int, str, str)
    def _on_worker_engine_changed(self, generation: int, line: str, details: str) -> None:
        if generation == self._generation:
            self.engine_changed.emit(line, details)

    @Slot(int, str, str)
    def _on_worker_halted(self, generation: int, state: str, message: str) -> None:
        if generation == self._generation:
            self.running = False
            self.halted.emit(state, message)

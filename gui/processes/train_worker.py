"""The window's handle on training: one state, owned here, changed only by what the trainer reports.

Training runs in a child process (gui/processes/train_process.py). `TrainController`
lives in the GUI thread: it sends the child commands (start, run, step, pause,
new settings, drop) and turns the child's events into signals. Its `state` is
the one training state of the window; every view derives from it:

    idle ──start+run──▶ training ──▶ paused / finished / diverged
                           ▲            │
                           └── resume ──┘          reset: back to idle, from anywhere

The child's events move the state (it says when it runs, pauses, finishes or
diverges), so the window can never show "Paused" while training goes on. Two
commands move it themselves: Train and Step show "training" at once (the
child's next report corrects it if it stopped at once), and Reset forgets the
run on the spot; whatever the old run still sends is dropped by its
generation number. Nothing here waits for
the child, so no command can freeze the window.
"""

from __future__ import annotations

import weakref

from PySide6.QtCore import QObject, Signal, Slot

from engine.settings import TrainSettings
from gui.processes.train_process import TrainingProcess, TrainJob

# The one training state, owned by TrainController; the panels and the window show it.
STATES = ("idle", "training", "paused", "finished", "diverged")


class TrainController(QObject):
    """Starts, pauses, steps and resets training in the child process; one run at a time."""

    state_changed = Signal(str, str)  # state, message (e.g. "Paused at step 42.")
    progressed = Signal(list, object, float)  # [StepResult], ModelWeights, steps/s: current run only
    halted = Signal(str, str)  # state ("paused", "finished", "diverged"), message
    failed = Signal(str)  # the run could not start or broke off; the state is idle again
    engine_changed = Signal(str, str)  # status line, details
    traced = Signal(list)  # [TraceRow]: every parameter's data and grad at each step, before their progress
    broke_down = Signal(int, object)  # the step that diverged, and its Breakdown (None: nothing non-finite)
    edited = Signal(int, int, float, object)  # steps taken, parameter index, value, ModelWeights holding it
    optimizer_state = Signal(object)  # StateSnapshot of the last step, with its progress (throttled)

    _event_arrived = Signal(object)  # from the process's reader thread, delivered in the GUI thread

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._event_arrived.connect(self._on_event)
        # The reader thread must not keep this object alive: a window dropped
        # without closing must take its child process with it.
        ref = weakref.ref(self)

        def deliver(event: tuple) -> None:
            controller = ref()
            if controller is not None:
                controller._event_arrived.emit(event)  # raises RuntimeError once Qt deleted it

        self._process = TrainingProcess(deliver)
        weakref.finalize(self, self._process.close)
        self.destroyed.connect(self._process.close)
        self._generation = 0
        self._has_run = False
        self._state = "idle"
        # The run's state (engine/run_state.py) after the step of the weights last sent with
        # `progressed`: a session saved now keeps it with those weights (None: no step yet).
        self.run_state = None

    @property
    def state(self) -> str:
        return self._state

    @property
    def has_run(self) -> bool:
        """True from start() until reset(): a run exists (it may not have reported yet)."""
        return self._has_run

    @property
    def running(self) -> bool:
        return self._state == "training"

    @property
    def process_id(self) -> int | None:
        """The training process's id while it runs (for tests and benchmarks)."""
        return self._process.pid

    # ---- commands (all return at once)

    def warm_up(self) -> None:
        """Start the training process ahead of the first Train (the app does; tests need not)."""
        self._process.start()

    def start(self, job: TrainJob) -> None:
        """Adopt a new run (replacing any old one) without starting it."""
        self._forget_run()
        self._has_run = True
        self.run_state = job.run_state  # an opened session's, until the run's first progress
        self._process.send("start", self._generation, job)

    def resume(self) -> None:
        if self._has_run:
            self._process.send("run", self._generation)
            self._expect_training()

    def step(self) -> None:
        if self._has_run:
            self._process.send("step", self._generation)
            self._expect_training()

    def _expect_training(self) -> None:
        """A run or step is on its way: show training now rather than when the process says so.

        The trainer still has the last word: it reports paused, finished, diverged or failed
        when it stops, however soon. (A pause, by contrast, shows only once it happened.)"""
        if self._state in ("idle", "paused"):
            self._set_state("training", "")

    def pause(self) -> None:
        if self._has_run:
            self._process.send("pause", self._generation)

    def update_settings(self, settings: TrainSettings) -> None:
        """New settings (e.g. a learning rate) for the next step onwards."""
        if self._has_run:
            self._process.send("settings", self._generation, settings)

    def set_parameter(self, index: int, value: float) -> None:
        """Give the run's parameter at `index` (MLP.parameters() order) this value, between two steps."""
        if self._has_run:
            self._process.send("set", self._generation, int(index), float(value))

    def reset(self) -> None:
        """Forget the current run; what it still sends is ignored."""
        self._forget_run()
        self._set_state("idle", "")

    def shutdown(self) -> None:
        """End training and the child process; safe to call twice (closeEvent, then tests)."""
        self._generation += 1
        self._has_run = False
        self._process.close()
        self._set_state("idle", "")

    def _forget_run(self) -> None:
        if self._has_run:
            if self._state == "training" or self._state == "idle":
                # It may be in the middle of a step (seconds on a large network):
                # a new child is quicker than waiting, and the window never waits.
                self._process.kill()
            else:
                self._process.send("drop", self._generation)
        self._generation += 1
        self._has_run = False
        self.run_state = None

    # ---- events from the child

    def _set_state(self, state: str, message: str) -> None:
        if state != self._state or message:
            self._state = state
            self.state_changed.emit(state, message)

    @Slot(object)
    def _on_event(self, event: tuple) -> None:
        if event[0] == "exited":  # ("exited", return code): it ended without being asked to
            if self._has_run:
                self._has_run = False
                self._generation += 1
                self._set_state("idle", "")
                self.failed.emit(
                    f"The training process stopped unexpectedly (exit code {event[1]}). "
                    "Press Train to start again."
                )
            return
        kind, generation, *args = event
        if generation != self._generation or not self._has_run:
            return  # from a run that was reset or replaced
        if kind == "progress":  # set before the window takes the weights it goes with
            args, self.run_state = args[:3], args[3] if len(args) > 3 else None
        signal = {
            "progress": self.progressed,
            "trace": self.traced,
            "breakdown": self.broke_down,
            "engine": self.engine_changed,
            "edited": self.edited,
            "optimizer": self.optimizer_state,
        }.get(kind)
        if signal is not None:
            signal.emit(*args)
        elif kind == "state":
            self._on_state(*args)

    def _on_state(self, state: str, message: str) -> None:
        if state == "running":
            self._set_state("training", "")
        elif state == "failed":
            self._has_run = False
            self._generation += 1
            self._set_state("idle", "")
            self.failed.emit(message)
        else:
            self._set_state(state, message)
            self.halted.emit(state, message)

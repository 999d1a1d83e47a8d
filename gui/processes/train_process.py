"""Training in a child process, so that neither Python's GIL nor a long step can freeze the window.

Python runs one thread at a time per process. With training in a thread of
the window's process, every Qt call of a redraw waited for the training thread
to hand the interpreter back, and on a slower machine the window stalled for
tens to hundreds of milliseconds again and again. A child process has an
interpreter of its own, on the other core: the window's process only draws.

The child runs `serve()`: it owns the `Trainer` (and with it the live model),
reads commands from its stdin and writes events to its stdout, each one a
pickled tuple tagged with the run's generation. The window never sees the live
model, only what the child sends: step results and copies of the weights.

`TrainingProcess` is the parent's end: it starts the child when first needed,
sends commands from a writer thread (a write never blocks the GUI thread) and
hands every event to a callback from a reader thread. Nothing here imports Qt;
gui/processes/train_worker.py turns the events into signals.

Commands (parent → child)            Events (child → parent)
  ("start", gen, TrainJob)             ("state", gen, state, message)
  ("run", gen) / ("step", gen)            state: running, paused, finished, diverged, failed
  ("pause", gen)                       ("progress", gen, [StepResult], ModelWeights, steps/s, RunState)
  ("settings", gen, TrainSettings)     ("trace", gen, [TraceRow])  every parameter, step by step,
  ("drop", gen)                           just before the progress of the same steps
  ("set", gen, index, value)           ("edited", gen, step, index, value, ModelWeights)
                                       ("breakdown", gen, step, Breakdown | None)  before "diverged"
                                       ("engine", gen, status line, details)
                                       ("optimizer", gen, StateSnapshot)  the last step's, before progress

"progress" carries the run's state (engine/run_state.py) taken with its weights, at the same step:
a session saved at any moment keeps the optimizer's state that goes with the weights it saves.

"set" gives the parameter at `index` (in `MLP.parameters()` order) a value the user typed; a
run takes it between two steps. "edited" answers with the weights holding it and the number of
steps taken before it (the run's record of edits), so the loss curve's next point shows the jump.
"""

from __future__ import annotations

import collections
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import BinaryIO

from engine.data import Dataset
from engine.diagnostics import TRACE_MAX_PARAMETERS, Breakdown, TraceRow, find_breakdown, trace_row
from engine.run_setup import build_trainer
from engine.run_state import RunState
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.split import TestSplit
from engine.tasks import check_loss_fits
from engine.train import StepResult, Trainer
from engine.weights import ModelWeights
from gui.processes.child_process import ChildProcess, Receive, Send, child_main, serve_streams

EMIT_INTERVAL_S = 0.1  # progress batches per second: ten is smooth, and cheap to draw


@dataclass
class TrainJob:
    """Everything the child needs to build the Trainer of one run (plain, picklable data)."""

    spec: ModelSpec
    dataset: Dataset
    settings: TrainSettings
    start_weights: ModelWeights | None = None  # imported or opened weights to train from
    split: TestSplit = field(default_factory=TestSplit)  # the samples held out for testing
    # a saved run to go on with (an opened session's): its steps so far and its state after them
    history: list[StepResult] = field(default_factory=list)
    run_state: RunState | None = None

    def problem(self) -> str | None:
        """Why this job cannot train, checked without building the network; None if it can."""
        try:
            self.spec.validate()
            self.settings.validate()
            self.dataset.validate()
            self.split.validate()
            self.spec.network_data(self.dataset)  # engineered inputs need 2-D data
            check_loss_fits(self.dataset.task, self.settings.loss)
        except ValueError as exc:
            return str(exc)
        weights = self.start_weights
        if weights is not None:
            n_inputs = self.spec.network_inputs(self.dataset.n_inputs)
            if weights.inputs != n_inputs:
                return f"the weights take {weights.inputs} inputs but the data has {n_inputs} columns"
            sizes = self.spec.layer_sizes(self.dataset.n_outputs)
            if weights.sizes != sizes or weights.activations != self.spec.activations:
                return "the weights do not fit the model: set the model to match them, or reset"
        return self._run_state_problem()

    def _run_state_problem(self) -> str | None:
        if self.run_state is None:
            return None
        if self.start_weights is None:
            return "the saved run has no weights to go on from: reset"
        n_parameters = sum(len(row) + 1 for layer in self.start_weights.layers for row in layer.weight)
        return self.run_state.problem(n_parameters, len(self.history)) or None

    def build(self) -> Trainer:
        trainer = build_trainer(self.spec, self.dataset, self.settings, self.split, self.start_weights)
        if self.run_state is not None:
            trainer.continue_run(self.history, self.run_state)
        return trainer


# ---- the child


def _engine_line(trainer: Trainer) -> tuple[str, str]:
    """Which engine ran the step, for the status bar, and details (plain or compiled, and why)."""
    summary = trainer.compile_summary
    if trainer.settings.compiled and trainer.compiled_reason is None and summary is not None:
        return (
            f"compiled: {summary.scalar_ops:,} scalar ops → {summary.array_ops} array ops",
            summary.describe(),
        )
    if trainer.settings.compiled:
        return "plain engine", f"Compiled mode is not in use: {trainer.compiled_reason}."
    return "plain engine", ""


class _Server:
    """The child's side: one Trainer at a time, driven by commands, in order."""

    def __init__(self, inbox: queue.SimpleQueue, send: Callable[[tuple], None]):
        self._inbox = inbox
        self._send = send
        self._deferred: collections.deque = collections.deque()  # read during a run, handled after it
        self._trainer: Trainer | None = None
        self._generation = -1
        self._engine_said: tuple[str, str] | None = None
        self._remaining: int | None = None  # steps the current run may still take (None: no limit)
        self.edits: list[tuple[int, int, float]] = []  # (steps taken before it, index, value) of this run

    def serve(self) -> None:
        while True:
            command = self._deferred.popleft() if self._deferred else self._inbox.get()
            if command is None:  # the parent closed the pipe (or died): nothing more to do
                return
            self._handle(command)

    def _handle(self, command: tuple) -> None:
        kind, generation, *args = command
        if kind == "start":
            self._start(generation, args[0])
        elif generation != self._generation or self._trainer is None:
            return  # for a run that was dropped
        elif kind == "drop":
            self._trainer = None
        elif kind == "settings":
            self._apply_settings(args[0], announce=True)
        elif kind == "set":
            self._set_parameter(*args)
        elif kind in ("run", "step"):
            self._run(max_steps=1 if kind == "step" else None)
        # "pause" outside a run has nothing to pause

    def _start(self, generation: int, job: TrainJob) -> None:
        self._generation, self._trainer, self._engine_said = generation, None, None
        self.edits = []
        try:
            self._trainer = job.build()
        except Exception as exc:
            self._send(("state", generation, "failed", f"Cannot train: {exc}"))

    def _apply_settings(self, settings: TrainSettings, announce: bool) -> None:
        trainer = self._trainer
        was_done = trainer.done
        trainer.settings = settings
        if announce and was_done and not trainer.done:  # more steps allowed: the run can go on
            self._send(("state", self._generation, "paused", f"Paused at step {trainer.step_count}."))

    def _set_parameter(self, index: object, value: object) -> None:
        """Give one parameter the value the user typed; the window hears back with the weights."""
        trainer = self._trainer
        params = trainer.model.parameters()
        if not isinstance(index, int) or not 0 <= index < len(params) or not isinstance(value, float):
            return  # the window checks what it sends: anything else is not from it
        params[index].data = value
        self.edits.append((trainer.step_count, index, value))
        weights = ModelWeights.from_model(trainer.model)
        self._send(("edited", self._generation, trainer.step_count, index, value, weights))

    def _report_engine(self) -> None:
        said = _engine_line(self._trainer)
        if said != self._engine_said:
            self._engine_said = said
            self._send(("engine", self._generation, *said))

    def _run(self, max_steps: int | None) -> None:
        """Step until done, paused or interrupted; `max_steps` None for no limit."""
        trainer, generation = self._trainer, self._generation
        self._send(("state", generation, "running", ""))
        self._remaining = max_steps
        batch: list[StepResult] = []
        rows: list[TraceRow] = []
        params = trainer.model.parameters()
        traced = len(params) <= TRACE_MAX_PARAMETERS
        last_emit = time.perf_counter()
        rate = 0.0
        try:
            while not trainer.done and self._remaining != 0:
                before = [p.data for p in params] if traced else None
                result = trainer.step()
                if self._remaining is not None:
                    self._remaining -= 1
                self._report_engine()
                if result is not None:
                    batch.append(result)
                    if traced:
                        rows.append(trace_row(result.step, before, params, trainer.settings.zero_grad))
                now = time.perf_counter()
                if batch and now - last_emit >= EMIT_INTERVAL_S:
                    rate = len(batch) / (now - last_emit)
                    self._report(batch, rows, rate)
                    batch, rows, last_emit = [], [], now
                self._read_during_run()
        except Exception as exc:
            self._trainer = None
            self._send(("state", generation, "failed", f"Training stopped: {type(exc).__name__}: {exc}"))
            return
        if batch:
            if len(batch) > 1 or not rate:
                rate = len(batch) / max(time.perf_counter() - last_emit, 1e-9)
            self._report(batch, rows, rate)
        self._report_stop()

    def _report_stop(self) -> None:
        """Why the run stopped: diverged (with where it first broke), finished, or paused."""
        trainer, generation = self._trainer, self._generation
        if trainer.diverged:
            self._send(("breakdown", generation, trainer.step_count + 1, self._breakdown()))
            self._send(("state", generation, "diverged", trainer.diverged))
        elif trainer.done:
            self._send(("state", generation, "finished", f"Finished {trainer.step_count} steps."))
        else:
            self._send(("state", generation, "paused", f"Paused at step {trainer.step_count}."))

    def _report(self, batch: list[StepResult], rows: list[TraceRow], rate: float) -> None:
        if rows:
            self._send(("trace", self._generation, rows))
        if (snapshot := self._trainer.optimizer_snapshot()) is not None:  # the table: once per report
            self._send(("optimizer", self._generation, snapshot))
        weights = ModelWeights.from_model(self._trainer.model)
        run_state = self._trainer.run_state()  # with the weights: the state after the same step
        self._send(("progress", self._generation, batch, weights, rate, run_state))

    def _breakdown(self) -> Breakdown | None:
        """Where the step that diverged first broke, replayed on a copy of the weights it started from."""
        trainer = self._trainer
        try:
            copy = ModelWeights.from_model(trainer.model).to_model()
            found = find_breakdown(copy, trainer.dataset, trainer.settings, trainer.step_count + 1)
        except Exception:  # the run has diverged either way: a failed search must not end the child
            return None
        return None if found is None else replace(found, culprit=None)  # the node itself stays here

    def _read_during_run(self) -> None:
        """Take the commands that arrived during a step, in order: the last word wins.

        A pause followed by a run (the user answered "No" to "Reset training?"
        at once) keeps training; a pause followed by a step takes one more step.
        """
        while not self._deferred and not self._inbox.empty():
            command = self._inbox.get()
            if command is not None and command[1] == self._generation and command[0] != "start":
                kind = command[0]
                if kind == "settings":
                    self._apply_settings(command[2], announce=False)
                    continue
                if kind == "set":  # between two steps: the next one starts from the typed value
                    self._set_parameter(*command[2:])
                    continue
                if kind in ("run", "step", "pause"):
                    self._remaining = {"run": None, "step": 1, "pause": 0}[kind]
                    continue
            self._deferred.append(command)  # a new run, a drop or the end: after this run stops
            self._remaining = 0


def serve_pipes(receive: Receive, send: Send) -> None:
    """The child's main loop: commands from `receive()`, events to `send`, until receive gives None.

    A thread reads the commands, so that a run can look at them between two steps."""
    inbox: queue.SimpleQueue = queue.SimpleQueue()

    def read() -> None:
        while (command := receive()) is not None:
            inbox.put(command)
        inbox.put(None)

    threading.Thread(target=read, daemon=True).start()
    _Server(inbox, send).serve()


def serve(commands: BinaryIO, events: BinaryIO) -> None:
    """`serve_pipes` over two byte streams of pickled tuples (what the pipes carry)."""
    serve_streams(serve_pipes, commands, events)


# ---- the parent


class TrainingProcess:
    """The window's end of the child: commands out, events to `on_event` (called from a thread).

    A child that ends without `kill()` sends a last ("exited", return code)."""

    def __init__(self, on_event: Callable[[tuple], None]):
        self._on_event = on_event
        self._lock = threading.Lock()
        self._child: ChildProcess | None = None

    @property
    def pid(self) -> int | None:
        child = self._child
        return child.pid if child is not None and child.process.poll() is None else None

    def start(self) -> None:
        """Start the child now, if it is not running, so that the first command need not wait for it."""
        with self._lock:
            self._ensure_child()

    def send(self, *command: object) -> None:
        """Queue a command for the child, starting it if needed; never blocks on the pipe."""
        with self._lock:
            self._ensure_child().send(command)

    def _ensure_child(self) -> ChildProcess:
        if self._child is None or not self._child.alive:
            self._child = ChildProcess("gui.processes.train_process", self._on_event, "training")
        return self._child

    def kill(self) -> None:
        """End the child now (a new one starts with the next command); what it was doing is lost."""
        with self._lock:
            child, self._child = self._child, None
        if child is not None:
            child.kill()

    close = kill


if __name__ == "__main__":
    child_main(serve_pipes)

"""Gradient descent, one step at a time, so the GUI (or a script) can drive it.

A step is the lecture's loop body: forward pass over the batch, loss, zero the
gradients, backward, and nudge every parameter against its gradient. Switching
`zero_grad` off skips the zeroing on purpose: gradients then pile up across
steps, the bug the lecture makes (and warns about) live.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from functools import reduce
from operator import add
from typing import TYPE_CHECKING

from engine.data import Dataset
from engine.losses import accuracy, l2, loss_function
from engine.nn import MLP
from engine.optim import (
    HYPERPARAMETERS,
    SGD,
    STATE_TABLE_MAX_PARAMETERS,
    Optimizer,
    StateSnapshot,
    make_optimizer,
)
from engine.run_state import RunState
from engine.settings import TrainSettings
from engine.tasks import check_loss_fits, class_accuracy, r_squared
from engine.value import Value
from engine.weights import ModelWeights

if TYPE_CHECKING:
    from engine.compiled import CompiledStep, CompileSummary


# A healthy run never needs a weight this large; past it, the run has blown up even
# if its loss still looks like a number (hinge and ReLU can stay finite for long).
MAX_PARAMETER = 1e15
LOSS_GROWTH = 1e6  # nor does its loss grow a millionfold


@dataclass
class StepResult:
    step: int  # steps completed, counting this one
    loss: float
    accuracy: float | None  # None for regression: its targets are not classes
    learning_rate: float
    grad_norm: float  # length of the gradient used for the update: it grows without zero_grad
    # mean |grad| of each layer's weights and biases, first layer first: vanishing or exploding gradients
    layer_grads: tuple[float, ...] = ()
    r2: float | None = None  # regression's R^2 on the batch (1 is a perfect fit); None for classes
    # on the held-out test set (Trainer.test_set), with the weights the training loss saw; None without one
    test_loss: float | None = None
    test_accuracy: float | None = None


@dataclass
class Trainer:
    """Trains `model` on `dataset`; call `step()` until `done`."""

    model: MLP
    dataset: Dataset
    settings: TrainSettings = field(default_factory=TrainSettings)
    history: list[StepResult] = field(default_factory=list)
    diverged: str | None = None  # why training stopped by itself, in plain words
    test_set: Dataset | None = None  # held out: measured at every step, never trained on (engine/split.py)
    # Compiled mode (settings.compiled): None while it is in use, else why steps run on the plain engine
    compiled_reason: str | None = field(default="compiled mode is off", init=False)
    compile_summary: CompileSummary | None = field(default=None, init=False)  # what compiling made of it
    optimizer: Optimizer | None = field(default=None, init=False)  # made by the first step, from settings

    def __post_init__(self) -> None:
        self.settings.validate()
        self.dataset.validate()
        if self.dataset.n_inputs != self.model.nin:
            raise ValueError(
                f"the model takes {self.model.nin} inputs but the data has {self.dataset.n_inputs} columns"
            )
        self._check_outputs()
        self._check_test_set()
        self._test_now: tuple[float | None, float | None] = (None, None)  # the step's test loss and accuracy
        self._rng = random.Random(self.settings.seed)
        self._task = self.dataset.task
        last = self.model.layers[-1]
        self._threshold = 0.5 if last.activation == "sigmoid" else 0.0
        self._last_update: tuple | None = None  # step, rate, data, grads, updates: for optimizer_snapshot
        self._programs: dict[tuple, object] = {}  # compiled programs (or reasons) by what shapes the graph
        # How many parameters each layer has, in model.parameters() order (for layer_grads)
        self._layer_sizes = [len(layer.parameters()) for layer in getattr(self.model, "layers", ())]
        # The model's weights and biases, listed once: a run keeps its Values (only their data change)
        self._parameters = self.model.parameters()
        if self.settings.compiled:
            self.compiled_reason = "not compiled yet: the first step compiles it"

    def _check_outputs(self) -> None:
        outputs = self.model.layers[-1].nout if getattr(self.model, "layers", None) else 1
        needed = self.dataset.n_outputs
        # several classes: an output per label at least (the training part may lack the last class)
        if outputs != needed and not (self.dataset.task == "classes" and outputs > needed):
            raise ValueError(
                f"the model has {outputs} output{'s' if outputs != 1 else ''} but the data needs "
                f"{needed} (one per class for several classes, else one)"
            )
        check_loss_fits(self.dataset.task, self.settings.loss)

    def _check_test_set(self) -> None:
        test = self.test_set
        if test is None:
            return
        test.validate()
        if test.task != self.dataset.task:
            raise ValueError(f"the test set is {test.task} data but the training data is {self.dataset.task}")
        if test.n_inputs != self.model.nin:
            raise ValueError(
                f"the model takes {self.model.nin} inputs but the test set has {test.n_inputs} columns"
            )

    def test_metrics(self) -> tuple[float | None, float | None]:
        """Loss and accuracy on the test set with the current weights: the training loss's own
        function (`loss_on`), forward only, no backward; (None, None) without a test set."""
        test = self.test_set
        if test is None:
            return None, None
        try:
            if self.compiled_reason is None:  # compiled steps take milliseconds: no graph of Values here
                scores = self._compiled_scores(test.inputs)
                loss = loss_function(self.settings.loss)(scores, test.targets).data + self._l2_number()
            else:
                loss_value, scores = self.loss_on(test.inputs, test.targets)
                loss = loss_value.data
        except (ArithmeticError, ValueError):  # the training step reports a run that blows up
            return None, None
        if not math.isfinite(loss):
            return None, None
        return loss, self._metrics(_scores_data(scores), test.targets)[0]

    def _compiled_scores(self, xs: list[list[float]]) -> list[Value]:
        """The model's outputs by NumPy, as leaves, within about 1e-12 of the engine's: while
        compiled steps take milliseconds, a graph of Values for the test set would cost as much again."""
        outputs = ModelWeights.from_model(self.model).predict_numpy(xs)
        return [Value(float(v)) for v in outputs]

    def _l2_number(self) -> float:
        """The L2 term `loss_on` adds, as a number: the same products added in the same order."""
        if not self.settings.l2:
            return 0.0
        return self.settings.l2 * reduce(add, (p.data * p.data for p in self._parameters))

    @property
    def step_count(self) -> int:
        return len(self.history)

    @property
    def done(self) -> bool:
        return self.diverged is not None or self.step_count >= self.settings.steps

    def _batch(self) -> tuple[list[list[float]], list[float]]:
        xs, ys = self.dataset.inputs, self.dataset.targets
        size = self.settings.batch_size
        if not size or size >= len(xs):
            return xs, ys
        chosen = self._rng.sample(range(len(xs)), size)
        return [xs[i] for i in chosen], [ys[i] for i in chosen]

    def loss_on(self, xs: list[list[float]], ys: list[float]) -> tuple[Value, list[Value]]:
        """The training loss on a batch (with L2), and the model's outputs."""
        scores = [self.model(x) for x in xs]
        loss = loss_function(self.settings.loss)(scores, ys)
        if self.settings.l2:
            loss = loss + l2(self.model.parameters(), self.settings.l2)
        return loss, scores

    def step(self) -> StepResult | None:
        """One step of gradient descent; None once training is done or has diverged."""
        if self.done:
            return None
        k = self.step_count
        learning_rate = self.settings.learning_rate_at(k)
        params = self._parameters
        xs, ys = self._batch()
        self._test_now = self.test_metrics()  # before the update: the weights this step's loss is measured on
        if self.settings.compiled:
            result = self._compiled_step(k, learning_rate, params, xs, ys)
            if result is not None or self.diverged:  # a blown-up update is not retaken
                return result
        else:
            self.compiled_reason, self.compile_summary = "compiled mode is off", None
        try:
            loss, scores = self.loss_on(xs, ys)
            if self.settings.zero_grad:
                self.model.zero_grad()
            loss.backward()
        except (ArithmeticError, ValueError):  # math range error, log of 0, 0 ** -1 ...
            self._diverge(
                k + 1, "a number left the range of floats (an overflow or a division by zero)", learning_rate
            )
            return None
        grad_norm = math.sqrt(sum(p.grad * p.grad for p in params))
        if not math.isfinite(loss.data) or not math.isfinite(grad_norm):
            what = (
                f"the loss became {loss.data}" if not math.isfinite(loss.data) else "the gradients overflowed"
            )
            self._diverge(k + 1, what, learning_rate)
            return None
        if not self._update(k, loss.data, params, learning_rate):
            return None
        return self._record(k, loss.data, _scores_data(scores), ys, learning_rate, grad_norm)

    # ---- the update: the optimizer plans it, a sane one is applied (engine/optim.py)

    def _update(self, k: int, loss: float, params: list[Value], learning_rate: float) -> bool:
        """Apply the optimizer's update from the grads on `params`, unless it blows up (then False)."""
        grads = [p.grad for p in params]
        plan = self._current_optimizer().plan(grads, learning_rate)
        before = [p.data for p in params]
        updated = [value + change for value, change in zip(before, plan.updates)]
        if self._blew_up(k, loss, updated, learning_rate):
            return False
        self.optimizer.accept(plan)
        for p, value in zip(params, updated):
            p.data = value
        self._last_update = (k + 1, learning_rate, before, grads, plan.updates)
        return True

    def _current_optimizer(self) -> Optimizer:
        """The settings' optimizer: the run's own, given any new hyper-parameters, or a fresh one."""
        s = self.settings
        hyperparameters = {name: getattr(s, name) for name in HYPERPARAMETERS[s.optimizer]}
        if self.optimizer is None or self.optimizer.name != s.optimizer:
            self.optimizer = make_optimizer(s.optimizer, hyperparameters)  # switched mid-run: starts afresh
        else:
            self.optimizer.settings_changed(hyperparameters)
        return self.optimizer

    def run_state(self) -> RunState | None:
        """What going on with this run needs beside its weights and history (engine/run_state.py);
        None before its first step."""
        if not self.history:
            return None
        optimizer = self.optimizer or SGD()  # compiled SGD steps without one: it has no state
        return RunState.of_run(self.step_count, optimizer, self._rng)

    def continue_run(self, history: list[StepResult], state: RunState) -> None:
        """Go on with a saved run from its weights (already in the model): its steps so far, its
        optimizer's state and where its minibatches were, as if it had never stopped."""
        if problem := state.problem(len(self._parameters), len(history)):
            raise ValueError(problem)
        self.history = list(history)
        self.optimizer = state.make_optimizer(self.settings)
        state.restore_sampler(self._rng)

    def optimizer_snapshot(self, limit: int = STATE_TABLE_MAX_PARAMETERS) -> StateSnapshot | None:
        """The last step's optimizer state, for the first `limit` parameters; None before a step."""
        from engine.diagnostics import parameter_names  # not at the top: diagnostics imports this module

        if self._last_update is None or self.optimizer is None:
            return None
        step, learning_rate, data, grads, updates = self._last_update
        sizes = [layer.nout for layer in self.model.layers]
        names = parameter_names(self.model.nin, sizes)[:limit]
        n = len(names)
        if grads is None:  # compiled SGD: its grads are still on the Values
            grads = [p.grad for p in self.model.parameters()[:n]]
            updates = [-learning_rate * g for g in grads]
        columns = self.optimizer.columns(n)
        return StateSnapshot(
            step,
            self.optimizer.name,
            learning_rate,
            names,
            len(data),
            [float(v) for v in data[:n]],  # a list, or the compiled step's array
            grads[:n],
            updates[:n],
            columns.get("momentum"),
            columns.get("second moment"),
        )

    def _blew_up(self, k: int, loss: float, weights: list[float], learning_rate: float) -> bool:
        """Whether step k blew up though its numbers are finite; if so, stop as diverged.

        Either a weight is past MAX_PARAMETER, or the loss grew past LOSS_GROWTH times
        the first step's (or 1, for a run that starts near zero loss).
        """
        largest = max(map(abs, weights), default=0.0)
        if not largest <= MAX_PARAMETER:  # NaN fails the comparison too
            what = f"a weight reached {largest:.3g}, past the sane limit of {MAX_PARAMETER:g}"
            self._diverge(k + 1, what, learning_rate)
            return True
        first = self.history[0].loss if self.history else loss
        if loss > LOSS_GROWTH * max(first, 1.0):
            what = f"the loss grew from {first:.3g} to {loss:.3g}"
            self._diverge(k + 1, what, learning_rate)
            return True
        return False

    def _record(
        self,
        k: int,
        loss: float,
        scores: list,
        ys: list[float],
        learning_rate: float,
        grad_norm: float,
    ) -> StepResult:
        """Append the result of step k (0-based) to the history and return it."""
        acc, r2 = self._metrics(scores, ys)
        return self._append(StepResult(k + 1, loss, acc, learning_rate, grad_norm, self._layer_grads(), r2))

    def _append(self, result: StepResult) -> StepResult:
        result.test_loss, result.test_accuracy = self._test_now
        self.history.append(result)
        return result

    def _metrics(self, scores: list, ys: list[float]) -> tuple[float | None, float | None]:
        """(accuracy, R^2) of these outputs: accuracy for classes (argmax for several), R^2 for regression."""
        if self._task == "classes":
            return class_accuracy(scores, ys), None
        if self._task == "regression":
            return None, r_squared(scores, ys)
        return accuracy(scores, ys, self._threshold), None

    def _layer_grads(self) -> tuple[float, ...]:
        """Mean |grad| per layer, from the grads the update just used (both engines leave them on the Values)."""
        grads = [abs(p.grad) for p in self._parameters]
        means, at = [], 0
        for size in self._layer_sizes:
            means.append(math.fsum(grads[at : at + size]) / size)
            at += size
        return tuple(means)

    # ---- compiled mode: the same step, replayed as NumPy array operations

    def _compiled_step(
        self, k: int, learning_rate: float, params: list[Value], xs: list[list[float]], ys: list[float]
    ) -> StepResult | None:
        """The step by the compiled program; None when the plain engine must take it instead.

        Everything per parameter is done on the program's arrays (the update, the blow-up
        check, the layers' mean grads), then data and grads go back to the Values in one
        pass: the app's step costs little more than the bare program.
        """
        if (
            self._task == "classes"
        ):  # its targets are class indices, which the traced graph cannot take as leaves
            self.compiled_reason = (
                "compiled mode does not run softmax cross-entropy (several classes) yet: "
                "steps run on the plain engine"
            )
            self.compile_summary = None
            return None
        # Imported here, not at the top: engine.train must not need NumPy unless compiled mode is on.
        from engine.compiled import program as arrays

        program = self._compiled_program(xs, ys)
        if program is None:
            return None
        if self.settings.optimizer != "sgd":
            return self._compiled_grads_step(program, k, learning_rate, params, xs, ys)
        data, grads = arrays.read_parameters(params, self.settings.zero_grad)
        before = data.copy()  # for the optimizer's table: the update is -lr·g of the grads left on the Values
        outcome = program.descend(data, grads, xs, ys, learning_rate)
        if outcome is None:  # a number left the range of floats: the plain engine retakes the step, says so
            return None
        loss, scores, grad_norm = outcome
        if self._blew_up(k, loss, (arrays.largest_magnitude(data),), learning_rate):
            arrays.write_parameters(params, None, grads)  # as the plain engine: grads kept, the update not
            return None
        arrays.write_parameters(params, data, grads)
        self._last_update = (k + 1, learning_rate, before, None, None)
        if self._task == "binary":
            acc, r2 = arrays.hit_rate(scores, program.targets(), self._threshold), None
        else:
            acc, r2 = self._metrics(scores.tolist(), ys)
        layer_grads = arrays.mean_magnitudes(grads, self._layer_sizes)
        return self._append(StepResult(k + 1, loss, acc, learning_rate, grad_norm, layer_grads, r2))

    def _compiled_program(self, xs: list[list[float]], ys: list[float]) -> CompiledStep | None:
        """The compiled program for this batch size (compiled on first use), or None with the reason set."""
        from engine.compiled import compile_step

        key = (self.model, self.settings.loss, self.settings.l2, len(xs))
        if key not in self._programs:
            self._programs[key] = compile_step(self.model, self.settings.loss, self.settings.l2, xs, ys)
        program = self._programs[key]
        if isinstance(program, str):
            self.compiled_reason, self.compile_summary = program, None
            return None
        self.compiled_reason, self.compile_summary = None, program.summary
        return program

    def _compiled_grads_step(
        self,
        program,
        k: int,
        learning_rate: float,
        params: list[Value],
        xs: list[list[float]],
        ys: list[float],
    ) -> StepResult | None:
        """Momentum or Adam: the program computes loss and grads (a step of rate 0 leaves the data
        as it is, the grads on the Values), then the optimizer updates as on the plain engine."""
        outcome = program.train_step(params, xs, ys, 0.0, self.settings.zero_grad)
        if outcome is None:
            return None
        loss, scores, grad_norm = outcome
        if not self._update(k, loss, params, learning_rate):
            return None
        return self._record(k, loss, scores, ys, learning_rate, grad_norm)

    def _diverge(self, step: int, what: str, learning_rate: float) -> None:
        self.diverged = (
            f"Training diverged at step {step}: {what} with learning rate {learning_rate:g}. "
            "Reset and try a smaller learning rate."
        )

    def run(self, callback=None) -> list[StepResult]:
        """Step until done; `callback(result)` after each step (for progress bars)."""
        while (result := self.step()) is not None:
            if callback:
                callback(result)
        return self.history

    def evaluate(self) -> tuple[float, float | None]:
        """Loss and accuracy on the whole dataset with the current weights, without training
        (accuracy None for regression: see `evaluate_r2`)."""
        loss, scores = self.loss_on(self.dataset.inputs, self.dataset.targets)
        return loss.data, self._metrics(_scores_data(scores), self.dataset.targets)[0]

    def evaluate_r2(self) -> float | None:
        """R^2 on the whole dataset with the current weights (None unless this is regression)."""
        _, scores = self.loss_on(self.dataset.inputs, self.dataset.targets)
        return self._metrics(_scores_data(scores), self.dataset.targets)[1]


def _scores_data(scores: list) -> list:
    """The floats of the model's outputs: one per sample, or one list per sample with several outputs."""
    return [[v.data for v in s] if isinstance(s, list) else s.data for s in scores]

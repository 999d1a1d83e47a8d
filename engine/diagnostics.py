"""Why training works or fails: where a run first broke, and a learning rate worth trying.

Both work on copies of the model (built from a weights snapshot), never on the
network being trained, so asking never changes a run.

* `find_breakdown` replays the step that diverged, one sample at a time, and
  names the first node whose data or grad stopped being a finite number, its
  operation, and the reason in words (exp overflowed, log of 0, division by 0,
  a learning rate so high that the weights overflowed).
* `sweep_learning_rates` is the learning-rate range test: a few dozen steps with
  the rate rising exponentially, the loss after each, and a suggested rate where
  the loss fell fastest.
* `ParameterTrace` keeps every parameter's data and grad step by step, so that a
  learner can follow one weight, and see, without zero_grad, what each backward()
  added and what the grad holds: the running sum.
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from engine.data import Dataset
from engine.losses import l2, loss_function
from engine.nn import MLP
from engine.settings import LEARNING_RATE_RANGE, TrainSettings
from engine.train import MAX_PARAMETER, Trainer
from engine.value import Value, topological_order
from engine.weights import ModelWeights

# ---- the first number that stopped being finite


@dataclass(frozen=True)
class Breakdown:
    """Where a diverged step first went wrong."""

    node: str  # what the node computes, e.g. "exp(-3.2e+02 · w1.1.1)", or a parameter's name
    op: str  # the node's operation ("exp", "**", "neuron:relu", ...) or "update" for a weight
    reason: str  # in plain words
    sample: int | None  # the dataset row whose pass broke, None when no single sample did
    phase: str  # "forward", "backward" or "update"
    culprit: Value | None = None  # the node itself, or the operand of an op that could not run
    # The weight or bias at fault ("w1.2.1"), if one is: the graph view finds it by this name.
    # Other nodes it finds by the same rules on its own graph of the sample (engine/broken_graph.py),
    # which may draw neurons otherwise than training computes them.
    parameter: str | None = None

    def sentence(self, step: int) -> str:
        where = f" on sample {self.sample + 1}" if self.sample is not None else ""
        return f"Step {step}{where}, {self.phase} pass: {self.node} — {self.reason}."


def find_breakdown(model: MLP, dataset: Dataset, settings: TrainSettings, step: int) -> Breakdown | None:
    """Replay step `step` (1-based) of a run from `model`'s weights, as they were before it.

    Tries each sample alone (forward, then backward), then the whole batch's loss with
    its L2 term, then the update. None if the step runs clean (it did not break here).
    Each pass is built a node per neuron (`MLP.layered`), so the breakdown can name the neuron.
    """
    loss_of = loss_function(settings.loss)
    call = getattr(model, "layered", model)  # any callable model; an MLP node by node
    for index, (x, y) in enumerate(zip(dataset.inputs, dataset.targets)):
        found = _first_failure(lambda x=x, y=y: loss_of([_as_output(call(x))], [y]))
        if found is not None:
            return _named(replace(found, sample=index), model)

    def batch_loss() -> Value:
        scores = [_as_output(call(x)) for x in dataset.inputs]
        loss = loss_of(scores, dataset.targets)
        return loss + l2(model.parameters(), settings.l2) if settings.l2 else loss

    return _named(_first_failure(batch_loss) or _update_failure(model, settings, step, batch_loss), model)


def _named(found: Breakdown | None, model: MLP) -> Breakdown | None:
    """`found` with the name of its culprit if that is one of the model's weights or biases."""
    if found is None or found.culprit is None:
        return found
    is_parameter = any(found.culprit is p for p in model.parameters())
    return replace(found, parameter=found.culprit.label) if is_parameter else found


def _as_output(out: Value | list[Value]) -> Value | list[Value]:
    # several outputs are one per class: the loss (softmax cross-entropy) takes them all
    return out


def _first_failure(build) -> Breakdown | None:
    """Build a loss with `build()`, backpropagate it, and report the first non-finite node."""
    try:
        loss = build()
    except (ArithmeticError, ValueError) as exc:
        return failed_op(exc, "forward")
    order = topological_order(loss)
    for node in order:
        if not math.isfinite(node.data):
            return _bad_data(node)
    for node in order:
        node.grad = 0.0  # parameters too: this replay's grads only
    try:
        loss.backward()
    except (ArithmeticError, ValueError) as exc:
        return failed_op(exc, "backward")
    for node in reversed(order):  # the order backward() reached them
        if not math.isfinite(node.grad):
            return Breakdown(
                describe(node),
                node.op or "leaf",
                f"its gradient became {node.grad}: {_grad_reason(node)}",
                None,
                "backward",
                node,
            )
    return None


def _update_failure(model: MLP, settings: TrainSettings, step: int, batch_loss) -> Breakdown | None:
    """The weights the step's update would write: the first one past the sane limit."""
    loss = batch_loss()
    if settings.zero_grad:
        model.zero_grad()
    loss.backward()
    rate = settings.learning_rate_at(step - 1)
    for p in model.parameters():
        new = p.data - rate * p.grad
        if not abs(new) <= MAX_PARAMETER:  # NaN fails too
            reason = (
                f"the learning rate {rate:g} times its gradient {p.grad:.3g} moved it to {new:.3g}: "
                "a learning rate so high that the weights overflowed"
            )
            return Breakdown(p.label or "a parameter", "update", reason, None, "update", p)
    return None


def failed_op(exc: BaseException, phase: str) -> Breakdown:
    """The op whose Python arithmetic raised, found in the innermost engine frame of the traceback."""
    frame_locals, function = {}, ""
    tb = exc.__traceback__
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__", "")
        if module.startswith("engine.") and module != __name__:
            frame_locals, function = tb.tb_frame.f_locals, tb.tb_frame.f_code.co_name
        tb = tb.tb_next
    out = frame_locals.get("out")
    if phase == "backward" and isinstance(out, Value):
        operand = out.operands[0] if out.operands else out
        reason = f"its local derivative could not be computed at {operand.data:.3g} ({_words(exc)})"
        return Breakdown(describe(out), out.op, reason, None, phase, out)
    a = frame_locals.get("self")
    op = _OP_OF_FUNCTION.get(function.strip("_"), function.strip("_") or "?")
    if not isinstance(a, Value):
        return Breakdown("a node", op, _words(exc), None, phase, None)
    other = frame_locals.get("other", frame_locals.get("exponent"))
    node, reason = _describe_failed(op, a, other, exc)
    return Breakdown(node, op, reason, None, phase, a)


_OP_OF_FUNCTION = {"add": "+", "mul": "*", "pow": "**", "radd": "+", "rmul": "*"}


def _describe_failed(op: str, a: Value, other: object, exc: BaseException) -> tuple[str, str]:
    x = a.data
    if op == "exp":
        return f"exp({describe(a)})", f"exp overflowed: e^{x:.4g} is past the largest float (about 1.8e308)"
    if op == "log":
        what = "log of 0 is minus infinity" if x == 0 else f"log of {x:.3g}: log needs a positive number"
        return f"log({describe(a)})", what
    if op == "**" and isinstance(other, (int, float)):
        node = f"{_operand(a, 2, '**')} ** {other:g}"
        if x == 0 and other < 0:
            return node, f"division by 0: 0 ** {other:g} is 1 / 0{'' if other == -1 else ' to a power'}"
        return node, f"{x:.3g} ** {other:g} overflowed: past the largest float (about 1.8e308)"
    return f"{op}({describe(a)})", _words(exc)


def _bad_data(node: Value) -> Breakdown:
    """A node computed inf or NaN from finite operands (no Python error: + and * give inf)."""
    operands = node.operands
    values = ", ".join(f"{o.data:.3g}" for o in operands[:3]) + (", …" if len(operands) > 3 else "")
    if math.isnan(node.data) and not operands:
        reason = "it holds NaN"
    elif math.isnan(node.data):
        reason = f"inf − inf or 0 × inf is not a number (operands {values})"
    elif not operands:
        reason = f"it holds {node.data}"
    else:
        reason = f"{node.data} from {values}: the result is past the largest float (about 1.8e308)"
    return Breakdown(describe(node), node.op or "leaf", reason, None, "forward", node)


def _grad_reason(node: Value) -> str:
    if any(not math.isfinite(o.data) for o in node.operands):
        return "an input of it is not finite"
    return "a product of large local derivatives and upstream grads overflowed"


def _words(exc: BaseException) -> str:
    if isinstance(exc, ZeroDivisionError):
        return "division by 0"
    if isinstance(exc, OverflowError):
        return "a number overflowed: past the largest float (about 1.8e308)"
    return "a math function got a number outside its domain"


def describe(v: Value, depth: int = 2) -> str:
    """A node as a learner reads it: a parameter's name, a number, or its op over its operands."""
    if v.label:
        return v.label
    if not v.operands:
        return f"{v.data:.3g}"
    if depth == 0:
        return "…"
    args = [_operand(o, depth - 1, v.op) for o in v.operands[:3]] + (["…"] if len(v.operands) > 3 else [])
    if v.op in ("+", "*"):
        return f" {'·' if v.op == '*' else '+'} ".join(args)
    if v.op == "**":
        return f"{args[0]} ** {v.exponent:g}"
    return f"{v.op}({', '.join(args)})"


_PRECEDENCE = {"+": 1, "*": 2, "**": 3}


def _operand(v: Value, depth: int, parent_op: str) -> str:
    """`v` as an operand of `parent_op`: in parentheses where it binds less tightly (a sum in a product)."""
    text = describe(v, depth)
    same_associative = v.op == parent_op and v.op in ("+", "*")  # a + b + c needs no parentheses
    looser = _PRECEDENCE.get(v.op, 9) <= _PRECEDENCE.get(parent_op, 0) and not same_associative
    return f"({text})" if looser and not v.label and v.operands and depth > 0 else text


# ---- the learning-rate range test


@dataclass(frozen=True)
class RateSweep:
    rates: list[float]  # the learning rate of each step, rising exponentially
    losses: list[float]  # the loss each step saw (before its update)
    suggestion: float | None  # where the loss fell fastest; None if it never fell


def sweep_learning_rates(
    model: MLP,
    dataset: Dataset,
    settings: TrainSettings,
    steps: int = 50,
    low: float = 1e-4,
    high: float = 10.0,
) -> RateSweep:
    """Train `model` (a copy: this changes its weights) `steps` times, the rate rising from `low` to `high`.

    Stops early when the loss diverges or passes 4x its best: past there the rate is too high.
    """
    low, high = max(low, LEARNING_RATE_RANGE[0]), min(high, LEARNING_RATE_RANGE[1])
    rates = [low * (high / low) ** (i / (steps - 1)) for i in range(steps)]
    trainer = Trainer(model, dataset, replace(settings, decay=False, steps=steps + 1, compiled=False))
    # A step's loss is measured before its update, so rate i is judged by the loss of step i + 1.
    trainer.settings.learning_rate = rates[0]
    tried: list[float] = []
    losses: list[float] = []
    if trainer.step() is None:
        return RateSweep(tried, losses, None)
    for i, rate in enumerate(rates):
        trainer.settings.learning_rate = rates[min(i + 1, len(rates) - 1)]  # the update of this next step
        result = trainer.step()
        if result is None:  # diverged: this rate and all higher ones are too high
            break
        tried.append(rate)
        losses.append(result.loss)
        if result.loss > 4 * min(losses):
            break
    return RateSweep(tried, losses, suggest_rate(tried, losses))


def suggest_rate(rates: list[float], losses: list[float]) -> float | None:
    """The rate where the smoothed loss fell fastest per decade of rate, before its lowest point."""
    if len(losses) < 5:
        return None
    smooth, average = [], losses[0]
    for loss in losses:
        average = 0.7 * average + 0.3 * loss  # a short exponential average: one noisy step is not a trend
        smooth.append(average)
    lowest = min(range(len(smooth)), key=smooth.__getitem__)
    slopes = [
        ((smooth[i + 1] - smooth[i]) / math.log10(rates[i + 1] / rates[i]), i) for i in range(max(lowest, 1))
    ]
    slope, at = min(slopes)
    return rates[at] if slope < 0 else None


# ---- a parameter's history

TRACE_MAX_PARAMETERS = 5_000  # larger networks are not traced: each step would copy too much


@dataclass(frozen=True)
class TraceRow:
    """Every parameter at one step, in `model.parameters()` order."""

    step: int
    data: array  # as the step used it (before its update)
    grad: array  # as the update used it (after backward)
    zero_grad: bool  # whether the step zeroed the grads before its backward


def trace_row(step: int, data: Sequence[float], params: Sequence[Value], zero_grad: bool) -> TraceRow:
    """The row of a step that has just run on `params`, whose data before it was `data`."""
    return TraceRow(step, array("d", data), array("d", [p.grad for p in params]), zero_grad)


@dataclass(frozen=True)
class ParameterHistory:
    name: str
    steps: list[int]
    data: list[float]
    grad: list[float]  # what the grad held when the update used it: the running sum without zero_grad
    added: list[float]  # what that step's backward() added to it


class ParameterTrace:
    """The rows of a run, oldest dropped once they hold more than `max_values` numbers."""

    def __init__(self, names: Sequence[str], max_values: int = 4_000_000):
        self.names = list(names)
        self._rows: deque[TraceRow] = deque()
        self._max_rows = max(2, max_values // max(1, 2 * len(self.names)))
        self._grad_before: array | None = None  # the grads before the oldest kept row (None: zeros)

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, rows: Iterable[TraceRow]) -> None:
        for row in rows:
            if len(row.grad) != len(self.names):
                raise ValueError(f"a row of {len(row.grad)} parameters for a trace of {len(self.names)}")
            self._rows.append(row)
            if len(self._rows) > self._max_rows:
                self._grad_before = self._rows.popleft().grad

    def history(self, index: int) -> ParameterHistory:
        """Parameter `index`'s data, grad and what each backward() added, over the kept steps."""
        steps, data, grad, added = [], [], [], []
        before = self._grad_before[index] if self._grad_before is not None else 0.0
        for row in self._rows:
            g = row.grad[index]
            steps.append(row.step)
            data.append(row.data[index])
            grad.append(g)
            added.append(g if row.zero_grad else g - before)
            before = g
        return ParameterHistory(self.names[index], steps, data, grad, added)


def parameter_names(n_inputs: int, sizes: Sequence[int]) -> list[str]:
    """The parameters of MLP(n_inputs, sizes) in `parameters()` order: w<layer>.<neuron>.<input>, b<layer>.<neuron>."""
    names = []
    for li, (fan_in, size) in enumerate(zip([n_inputs, *sizes], sizes), 1):
        for ni in range(1, size + 1):
            names += [f"w{li}.{ni}.{wi}" for wi in range(1, fan_in + 1)]
            names.append(f"b{li}.{ni}")
    return names


# ---- which neurons still work

SATURATED = 0.99  # tanh beyond ±0.99, sigmoid beyond 0.01 / 0.99: the slope is almost 0 there


@dataclass(frozen=True)
class LayerActivity:
    """How many of a layer's neurons still pass gradients, over a set of samples."""

    layer: int  # 1-based, as in the parameters' names
    activation: str
    neurons: int
    dead: list[int]  # ReLU neurons whose output is 0 on every sample (1-based): they never learn again
    saturated: list[int]  # tanh/sigmoid neurons in their flat part on most samples (1-based)

    @property
    def names(self) -> list[str]:
        return [f"{self.layer}.{n}" for n in (*self.dead, *self.saturated)]


def neuron_activity(weights: ModelWeights, inputs: Sequence[Sequence[float]]) -> list[LayerActivity]:
    """Each layer's dead and saturated neurons on `inputs`, from a weights snapshot (NumPy, milliseconds)."""
    import numpy as np  # only here: the engine's scalar training does not need NumPy

    from engine.ops import ACTIVATION

    h = np.asarray(inputs, dtype=np.float64).reshape(len(inputs), weights.inputs)
    layers = []
    for index, layer in enumerate(weights.layers, 1):
        z = h @ np.asarray(layer.weight, dtype=np.float64).T + np.asarray(layer.bias, dtype=np.float64)
        h = ACTIVATION[layer.activation].on_arrays()(z)
        dead, saturated = [], []
        if layer.activation == "relu" and len(h):
            dead = [int(n) + 1 for n in np.flatnonzero(np.all(h <= 0, axis=0))]
        elif layer.activation in ("tanh", "sigmoid") and len(h):
            flat = np.abs(h) > SATURATED if layer.activation == "tanh" else np.abs(h - 0.5) > SATURATED - 0.5
            saturated = [int(n) + 1 for n in np.flatnonzero(flat.mean(axis=0) > 0.5)]
        layers.append(LayerActivity(index, layer.activation, len(layer.bias), dead, saturated))
    return layers

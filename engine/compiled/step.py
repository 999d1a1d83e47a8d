"""Compiled mode's front door: trace one training step of an MLP, compile it, check it.

Only a graph that is the same on every step can be replayed. Tracing sees one path
through the model's Python code; code that branches on the numbers would take another
path on other numbers. So only engine.nn's own MLP (known branch-free) is compiled,
and `compile_step` checks its program against the plain engine before handing it out;
anything else returns a reason, and training stays on the plain engine.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from engine.collector import collector_paused
from engine.compiled.passes import compile_graph
from engine.compiled.program import CompiledStep
from engine.losses import l2 as l2_penalty
from engine.losses import loss_function
from engine.nn import MLP, Layer, Neuron
from engine.value import Value

Array = np.ndarray


def _is_plain_mlp(model: object) -> bool:
    """An engine.nn.MLP of engine.nn Layers and Neurons, not a subclass that may branch on numbers."""
    return (
        type(model) is MLP
        and all(type(layer) is Layer for layer in model.layers)
        and all(type(neuron) is Neuron for layer in model.layers for neuron in layer.neurons)
    )


def trace_step(
    model: MLP,
    loss_name: str,
    l2: float,
    batch_inputs: Sequence[Sequence[float]],
    batch_targets: Sequence[float],
) -> tuple[Value, list[Value], list[list[Value]], list[Value]]:
    """One step's graph, as Trainer.loss_on builds it, with the inputs and targets as leaves.

    Returns (loss, scores, input leaves, target leaves). A target y enters the loss as
    a leaf instead of a number: ``-y`` then is a node ``y * -1``, the same float.
    """
    inputs = [[Value(x) for x in row] for row in batch_inputs]
    targets = [Value(y) for y in batch_targets]
    scores = [model.layered(row) for row in inputs]  # neuron nodes: what the compiler reads
    loss = loss_function(loss_name)(scores, targets)
    if l2:
        loss = loss + l2_penalty(model.parameters(), l2)
    return loss, scores, inputs, targets


def _disagreement(got: Array, want: Array) -> float:
    """The largest |got - want| in units of 1e-9 · max(1, the largest |want|)."""
    scale = 1e-9 * max(1.0, float(np.max(np.abs(want), initial=0.0)))
    return float(np.max(np.abs(got - want), initial=0.0)) / scale


@collector_paused()
def compile_step(
    model: MLP,
    loss_name: str,
    l2: float,
    batch_inputs: Sequence[Sequence[float]],
    batch_targets: Sequence[float],
) -> CompiledStep | str:
    """A replayable program for a step on batches of this size, or the reason there is none.

    The batch is only a sample of the shape: the program takes any inputs and targets
    of the same size. Before returning it, its loss, scores and grads on this batch
    are checked against the plain engine's (within 1e-9). Compiled with the cycle
    collector paused (engine/collector.py): a fifth of the time of a large compile.
    """
    start_time = time.perf_counter()
    if not _is_plain_mlp(model):
        return (
            f"compiled mode replays the graph of engine.nn.MLP only; a {type(model).__name__} "
            "may take another path through its code on other numbers"
        )
    params = model.parameters()
    try:
        loss, scores, inputs, targets = trace_step(model, loss_name, l2, batch_inputs, batch_targets)
    except (ArithmeticError, ValueError, TypeError) as exc:
        return f"the step could not be traced: {exc}"
    if not math.isfinite(loss.data):
        return f"the traced loss is {loss.data}"
    program = compile_graph(loss, scores, params, inputs, targets)
    if isinstance(program, str):
        return program
    problem = _check_against_plain_engine(program, loss, scores, params, batch_inputs, batch_targets)
    if problem:
        return problem
    program.summary = replace(program.summary, seconds=time.perf_counter() - start_time)
    return program


def _plain_grads(loss: Value, params: Sequence[Value]) -> Array:
    """The plain engine's grads on the traced graph, leaving the model's grads as they were."""
    saved = [p.grad for p in params]
    for p in params:
        p.grad = 0.0
    try:
        loss.backward()
        return np.array([p.grad for p in params])
    finally:
        for p, grad in zip(params, saved):
            p.grad = grad


def _check_against_plain_engine(
    program: CompiledStep,
    loss: Value,
    scores: Sequence[Value],
    params: Sequence[Value],
    batch_inputs: Sequence[Sequence[float]],
    batch_targets: Sequence[float],
) -> str | None:
    """None if the program's loss, scores and grads on the traced batch are the plain engine's; else why not."""
    try:
        want_grads = _plain_grads(loss, params)
    except ArithmeticError as exc:  # say 0 ** -0.5 in a backward rule
        return f"the traced step's gradients left the range of floats ({exc})"
    got_grads = np.zeros(len(params))
    got_loss, got_scores = program.run(
        np.array([p.data for p in params]), got_grads, batch_inputs, batch_targets
    )
    want_scores = np.array([s.data for s in scores])
    for what, got, want in (
        ("loss", np.array([got_loss]), np.array([loss.data])),
        ("scores", got_scores, want_scores),
        ("gradients", got_grads, want_grads),
    ):
        if not np.all(np.isfinite(want)):
            return f"the traced {what} are not finite"
        if not _disagreement(got, want) <= 1.0:
            return f"the compiled {what} disagree with the plain engine's (a bug: please report it)"
    return None

"""Compiled mode against the plain engine, PyTorch float64 and karpathy's micrograd.

The workload is micrograd's moons demo step (MLP 2-16-16-1, ReLU hidden layers,
linear output, hinge loss + 1e-4 L2, learning rate 1 - 0.9k/100), then the same
step on 1,000 points and on a 2-32-32-1 net, to show how each engine's cost grows.

    python benchmarks/bench_compiled.py              # needs micrograd==0.1.0; torch is optional
    python benchmarks/bench_compiled.py --quick      # fewer, shorter blocks
    python benchmarks/bench_compiled.py --demo-only  # the moons demo workload alone
    python benchmarks/bench_compiled.py --micrograd-everywhere   # also time micrograd on 1,000 × 2-32-32-1 (~1 min a step)

Engines, each from the same initial weights:

* Trainer.step, compiled: the step as the app runs it (`Trainer.step` with compiled
  mode: batch, the compiled program, the update, accuracy and the history record).
  This is the row to quote for compiled mode.
* compiled program: `CompiledStep.train_step` alone, which reads the parameters from
  their Values, runs the program, updates and writes them back; "arrays only" runs
  the program and the update on NumPy arrays, no Values.
* plain: our engine, bench_engine.demo_step (a model call per sample, sum, backward, update).
* PyTorch float64: bench_engine.torch_step, full-batch tensors.
* NumPy by hand (floor): the demo step written directly as whole-batch NumPy matrix
  operations, no graph: the floor of any array program here.
* micrograd 0.1.0: bench_engine.demo_step on its MLP; a few steps only (about 1 s a step).

The engines run in alternating blocks (bench_engine.interleaved), each block about
the same length of time (or a step or two, for micrograd), after a gc.collect() and
one untimed step, so an engine pays for its own garbage and the machine's slow
moments spread over all of them; each figure is the median over blocks. No figure
is asserted: a shared machine is noisy; quote the ratios. What is asserted: plain,
compiled program and Trainer.step reach the same losses over 5 demo steps.

Threads: NumPy's OpenBLAS and PyTorch split larger products over threads. At these
sizes that saves little, and on a machine whose other cores are busy (the app's
window thread, another program) it costs a lot and makes the figures jump, so both
run on one thread (OPENBLAS_NUM_THREADS=1 unless set, torch.set_num_threads(1));
`--default-threads` leaves both libraries as they come.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
if "--default-threads" not in sys.argv:  # must be set before NumPy loads OpenBLAS
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
from bench_engine import copy_weights, demo_step, import_torch, interleaved, torch_step
from bench_floor import float_loop_seconds

from engine import MLP
from engine.compiled import CompiledStep, compile_step
from engine.data import moons
from engine.settings import STEPS_RANGE, TrainSettings
from engine.train import Trainer

L2 = 1e-4
APP_ROW = "Trainer.step, compiled"  # the step the app runs: the row to quote
COMPILE_RUNS = 3


def learning_rate(k: int) -> float:
    return 1.0 - 0.9 * (k % 100) / 100  # the demo's decay, restarted every 100 steps (as demo_step)


def compiled_step(program: CompiledStep, model: MLP, xs, ys) -> Callable[[int], float]:
    params = model.parameters()
    return lambda k: program.train_step(params, xs, ys, learning_rate(k), zero_grad=True)[0]


def arrays_only_step(program: CompiledStep, model: MLP, xs, ys) -> Callable[[int], float]:
    params = np.array([p.data for p in model.parameters()])
    grads = np.zeros_like(params)
    inputs, targets = np.array(xs), np.array(ys)

    def step(k: int) -> float:
        grads[:] = 0.0
        loss, _ = program.run(params, grads, inputs, targets)
        params[:] -= learning_rate(k) * grads
        return loss

    return step


def numpy_floor_step(model: MLP, xs, ys) -> Callable[[int], float]:
    """The demo step written by hand in NumPy (whole-batch matrices, ReLU hidden layers, linear
    output, hinge + L2): the floor for any program of array operations."""
    layers = [
        (
            np.array([[w.data for w in n.w] for n in layer.neurons]),
            np.array([n.b.data for n in layer.neurons]),
            layer.activation == "relu",
        )
        for layer in model.layers
    ]
    inputs, targets = np.array(xs), np.array(ys)
    n = len(ys)

    def step(k: int) -> float:
        outputs = [inputs]
        for weights, biases, relu in layers:
            total = outputs[-1] @ weights.T + biases
            outputs.append(np.maximum(total, 0.0) if relu else total)
        margins = 1.0 - targets * outputs[-1][:, 0]
        met = margins <= 0.0
        penalty = sum(float((w * w).sum() + (b * b).sum()) for w, b, _ in layers)
        loss = float(margins[~met].sum()) / n + L2 * penalty
        upstream = np.where(met, 0.0, -targets / n)[:, None]
        rate = learning_rate(k)
        for i in range(len(layers) - 1, -1, -1):
            weights, biases, relu = layers[i]
            if relu:
                upstream = upstream * (outputs[i + 1] > 0.0)
            weight_grads, bias_grads = upstream.T @ outputs[i], upstream.sum(axis=0)
            upstream = upstream @ weights  # before the update changes the weights
            weights -= rate * (weight_grads + 2 * L2 * weights)
            biases -= rate * (bias_grads + 2 * L2 * biases)
        return loss

    return step


def app_trainer(model: MLP, data, steps: int = STEPS_RANGE[1]) -> Trainer:
    """The Trainer the app makes for the demo: hinge + L2, learning rate 1.0 decaying over `steps`."""
    settings = TrainSettings(learning_rate=1.0, decay=True, steps=steps, loss="hinge", l2=L2, compiled=True)
    return Trainer(model, data, settings)


def trainer_step(model: MLP, data) -> Callable[[int], float]:
    trainer = app_trainer(model, data)
    trainer.step()
    assert trainer.compiled_reason is None, trainer.compiled_reason
    return lambda k: trainer.step().loss


def same_training(make_model, data, steps: int = 5) -> float:
    """Largest relative difference of `steps` demo steps' losses: plain demo loop, compiled
    program, the app's Trainer.step and NumPy by hand, all from the same weights. Raises if they disagree."""
    xs, ys = data.inputs, data.targets
    plain, compiled = make_model(), make_model()
    program = compile_step(compiled, "hinge", L2, xs, ys)
    params = compiled.parameters()
    trainer = app_trainer(make_model(), data.copy(), steps=100)  # 1 - 0.9k/100, as the demo
    by_hand = numpy_floor_step(make_model(), xs, ys)
    worst = 0.0
    for k in range(steps):
        want = demo_step(plain, xs, ys, k)
        got, _, _ = program.train_step(params, xs, ys, learning_rate(k), zero_grad=True)
        for loss in (got, trainer.step().loss, by_hand(k)):
            worst = max(worst, abs(loss - want) / abs(want))
    if worst > 1e-12 or trainer.compiled_reason is not None:
        raise AssertionError(f"compiled training differs from the plain engine by {worst:.1e} (relative)")
    return worst


def calibrated_blocks(engines: dict[str, Callable[[int], float]], block_seconds: float) -> dict[str, int]:
    """Steps per block for each engine so that a block lasts about `block_seconds`."""
    blocks = {}
    for name, step in engines.items():
        gc.collect()
        step(0)  # first call: caches, lazy imports
        fastest = math.inf
        for k in range(1, 4):  # the fastest of three: one step can be slowed tenfold by a busy machine
            start = time.perf_counter()
            step(k)
            fastest = min(fastest, time.perf_counter() - start)
        blocks[name] = max(1, int(block_seconds / fastest))
    return blocks


def workload(name: str, n_points: int, sizes: list[int], args, micrograd_steps: int) -> dict:
    data = moons(n_points, 0.1, args.seed)
    xs, ys = data.inputs, data.targets

    def make_model() -> MLP:
        return MLP(2, sizes, activation="relu", output_activation="linear", seed=args.seed)

    print(f"\n{name}")
    compile_seconds = math.inf
    for _ in range(COMPILE_RUNS):  # the fastest: a busy machine slows one run, never speeds it up
        gc.collect()
        start = time.perf_counter()
        program = compile_step(make_model(), "hinge", L2, xs, ys)
        compile_seconds = min(compile_seconds, time.perf_counter() - start)
    if isinstance(program, str):
        sys.exit(f"could not compile: {program}")
    summary = program.summary
    print(
        f"  compile: {compile_seconds * 1e3:.0f} ms, fastest of {COMPILE_RUNS} (trace, compile, check "
        "against the plain engine); "
        f"{summary.scalar_ops:,} scalar ops in {summary.scalar_levels} levels -> "
        f"{summary.array_ops} array ops in {summary.levels} levels"
    )
    rounds, block_seconds = (2, 0.1) if args.quick else (5, 0.3)
    plain_model = make_model()
    engines = {
        APP_ROW: trainer_step(make_model(), data.copy()),
        "compiled program": compiled_step(program, make_model(), xs, ys),
        "compiled, arrays only": arrays_only_step(program, make_model(), xs, ys),
        "NumPy by hand (floor)": numpy_floor_step(make_model(), xs, ys),
        "plain": lambda k: demo_step(plain_model, xs, ys, k),
    }
    torch = torch_step(make_model(), xs, ys, "hinge")
    if torch is not None:
        engines["PyTorch float64"] = torch
    blocks = calibrated_blocks(engines, block_seconds)
    rounds_of = {}
    micrograd_note = ""
    if micrograd_steps and args.micrograd is not None:
        theirs = args.micrograd.MLP(2, sizes)
        copy_weights(make_model(), theirs)
        engines["micrograd 0.1.0"] = lambda k: demo_step(theirs, xs, ys, k)
        # about a second a step or more: a block of one or two steps, in the first round(s) only
        blocks["micrograd 0.1.0"] = 2 if micrograd_steps > 1 else 1
        rounds_of["micrograd 0.1.0"] = min(rounds, 2 if micrograd_steps > 1 else 1)
        timed = rounds_of["micrograd 0.1.0"] * blocks["micrograd 0.1.0"]
        micrograd_note = f"  ({timed} timed step(s) after {rounds_of['micrograd 0.1.0']} untimed)"
    results = interleaved(engines, rounds, blocks, rounds_of)["seconds"]
    app = results[APP_ROW]
    print(f"  {'engine':<24} {'ms per step':>11}  {'÷ app step':>10}  {'steps per block':>15}")
    for engine, seconds in results.items():
        note = micrograd_note if engine.startswith("micrograd") else ""
        print(f"  {engine:<24} {seconds * 1e3:11.3f}  {seconds / app:9.2f}x  {blocks[engine]:>15}{note}")
    if micrograd_steps == 0 or args.micrograd is None:
        print(
            "  micrograd 0.1.0          skipped (about a minute a step here; --micrograd-everywhere times it)"
        )
    print(
        f"  the app's step (Trainer.step, compiled) takes {app / results['compiled program']:.2f}x the compiled "
        f"program's time, {app / results['compiled, arrays only']:.2f}x the arrays-only program's, "
        f"{app / results['NumPy by hand (floor)']:.2f}x NumPy by hand"
    )
    difference = same_training(make_model, data)
    print(
        f"  plain vs compiled program vs Trainer.step vs NumPy by hand, 5 steps from the same weights: "
        f"losses differ by at most {difference:.1e} (relative)"
    )
    results["compile"] = compile_seconds
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer, shorter blocks")
    parser.add_argument(
        "--micrograd-everywhere", action="store_true", help="also time micrograd on the largest workload"
    )
    parser.add_argument(
        "--default-threads", action="store_true", help="leave OpenBLAS and PyTorch threads at their defaults"
    )
    parser.add_argument("--demo-only", action="store_true", help="the moons demo workload alone")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    try:
        import micrograd.nn as micrograd_nn

        args.micrograd = micrograd_nn
        # micrograd's recursive topological sort goes one Python frame per "+" of sum():
        # 1,000 samples need more than the default limit of 1,000 frames
        sys.setrecursionlimit(20_000)
    except ImportError:
        args.micrograd = None
        print("micrograd not installed (pip install micrograd==0.1.0): skipping it")
    threads = import_torch(args.default_threads)
    blas_threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(
        f"Python {sys.version.split()[0]}, NumPy {np.__version__} (OpenBLAS threads: {blas_threads}), {threads}, "
        f"{gc.get_freeze_count():,} objects frozen after imports"
    )

    print(
        f"10M-iteration float loop: {float_loop_seconds():.2f} s (this instance's speed; a slow one takes 2.06 s)"
    )
    demo = workload("moons demo step: MLP 2-16-16-1, 100 points, hinge + 1e-4 L2", 100, [16, 16, 1], args, 2)
    largest = None
    if not args.demo_only:
        workload("1,000 points: MLP 2-16-16-1", 1000, [16, 16, 1], args, 1)
        workload("a wider net: MLP 2-32-32-1, 100 points", 100, [32, 32, 1], args, 1)
        largest = workload(
            "both: MLP 2-32-32-1, 1,000 points",
            1000,
            [32, 32, 1],
            args,
            1 if args.micrograd_everywhere else 0,
        )

    print("\nGoals on the demo step, for the step the app runs (Trainer.step, compiled):")
    app = demo[APP_ROW]
    _goal("app step / compiled program", app / demo["compiled program"], "x", 1.2)
    if "PyTorch float64" in demo:
        _goal("app step / PyTorch float64", app / demo["PyTorch float64"], "x", 0.5)
    if "micrograd 0.1.0" in demo:
        ratio = demo["micrograd 0.1.0"] / app
        print(
            f"  micrograd / app step time   {ratio:8.0f}x  (goal >= 1,000x: {'met' if ratio >= 1000 else 'missed'})"
        )
    _goal("compile time, demo", demo["compile"], " s", 0.3)
    if largest is not None:
        _goal("compile time, 2-32-32-1 on 1,000", largest["compile"], " s", 1.0)
    print(
        f"\n10M-iteration float loop: {float_loop_seconds():.2f} s (this instance's speed; a slow one takes 2.06 s)"
    )


def _goal(what: str, figure: float, unit: str, at_most: float) -> None:
    print(
        f"  {what:<33} {figure:8.3f}{unit:<2} (goal <= {at_most:g}: {'met' if figure <= at_most else 'missed'})"
    )


if __name__ == "__main__":
    main()

"""How close the engine is to the floor of pure Python: the moons demo step written by hand.

The same step as bench_engine.py's `demo_step` (moons, 100 points, MLP 2-16-16-1 with
ReLU hidden layers and a linear output, hinge loss + 1e-4 L2, learning rate
1 - 0.9k/100), written with plain lists of floats: forward, loss, backward and update,
no autograd objects. It starts from the engine's initial weights and must reach the
engine's loss at every step to 1e-12 (relative), or the benchmark stops.

Each of the three (our engine, the hand-written floor, karpathy's micrograd 0.1.0) runs
alone in a fresh process, in turn, several rounds; the table shows each one's median
step time over its rounds, and the ratios. On a shared machine, quote the ratios.

    python benchmarks/bench_floor.py [--rounds 3] [--steps 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def floor_step(layers, xs, ys, k: int, total_steps: int = 100) -> float:
    """One demo step on plain floats. `layers` is [(rows, biases, relu?)], changed in place."""
    n = len(xs)
    grads = [([[0.0] * len(r) for r in rows], [0.0] * len(bs)) for rows, bs, _ in layers]
    data_loss = 0.0
    for x, y in zip(xs, ys):
        acts, h = [x], x
        for rows, bs, relu in layers:  # forward, adding left to right as the engine does
            out = []
            for row, b in zip(rows, bs):
                total = b
                for w, v in zip(row, h):
                    total += w * v
                out.append(total if not relu or total > 0 else 0.0)
            h = out
            acts.append(h)
        margin = h[0] * -y + 1
        if margin <= 0:
            continue  # this sample adds nothing to the loss nor to any grad
        data_loss += margin
        upstream = [-y / n]
        for li in range(len(layers) - 1, -1, -1):  # backward through the layers
            rows, bs, relu = layers[li]
            grad_rows, grad_bs = grads[li]
            below, out = acts[li], acts[li + 1]
            passed = [0.0] * len(below)
            for j, g in enumerate(upstream):
                if relu and out[j] <= 0 or g == 0:
                    continue
                grad_bs[j] += g
                row, grad_row = rows[j], grad_rows[j]
                for i, v in enumerate(below):
                    grad_row[i] += v * g
                    passed[i] += row[i] * g
            upstream = passed
    reg = 0.0
    for rows, bs, _ in layers:
        for row in rows:
            for w in row:
                reg += w * w
        for b in bs:
            reg += b * b
    rate = 1.0 - 0.9 * (k % total_steps) / total_steps
    for (rows, bs, _), (grad_rows, grad_bs) in zip(layers, grads):
        for row, grad_row in zip(rows, grad_rows):
            for i, w in enumerate(row):
                row[i] = w - rate * (grad_row[i] + 2e-4 * w)
        for j, b in enumerate(bs):
            bs[j] = b - rate * (grad_bs[j] + 2e-4 * b)
    return data_loss * (1.0 / n) + 1e-4 * reg


def _engine_model():
    from engine import MLP

    return MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)


def _run(kind: str, steps: int) -> dict:
    """Time `steps` demo steps of one kind in this process; the losses come back for checking."""
    from engine.data import moons

    data = moons(100, 0.1, 0)
    xs, ys = data.inputs, data.targets
    model = _engine_model()
    if kind == "floor":
        layers = [
            (
                [[w.data for w in n.w] for n in layer.neurons],
                [n.b.data for n in layer.neurons],
                layer.activation == "relu",
            )
            for layer in model.layers
        ]
        step = partial(floor_step, layers, xs, ys)
    elif kind == "engine":
        from bench_engine import demo_step

        step = partial(demo_step, model, xs, ys)
    else:
        from bench_engine import copy_weights, demo_step
        from micrograd import nn as micrograd_nn

        theirs = micrograd_nn.MLP(2, [16, 16, 1])
        copy_weights(model, theirs)
        step = partial(demo_step, theirs, xs, ys)
    losses, times = [], []
    for k in range(steps):
        started = time.perf_counter()
        losses.append(step(k))
        times.append(time.perf_counter() - started)
    return {"losses": losses, "median": statistics.median(times)}


def float_loop_seconds() -> float:
    started = time.perf_counter()
    x = 0.0
    for _ in range(10_000_000):
        x += 1.0
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_run(args.child, args.steps)))
        return
    kinds = ["engine", "floor", "micrograd"]
    medians: dict[str, list[float]] = {kind: [] for kind in kinds}
    reference = None
    for _ in range(args.rounds):
        for kind in kinds:
            steps = args.steps if kind != "micrograd" else min(args.steps, 5)
            out = subprocess.run(
                [sys.executable, __file__, "--child", kind, "--steps", str(steps)],
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(out.stdout)
            medians[kind].append(result["median"])
            if kind == "engine":
                reference = result["losses"]
            elif reference is not None:
                worst = max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(result["losses"], reference))
                if worst > 1e-12:
                    sys.exit(f"{kind} left the engine's losses (relative difference {worst:.2e})")
    engine, floor, theirs = (statistics.median(medians[k]) for k in kinds)
    print(f"10M-iteration float loop: {float_loop_seconds():.2f} s (a slow instance takes 2.06 s)")
    print("moons demo step, each alone in its process, median of rounds:")
    print(f"  engine        {engine * 1e3:8.2f} ms")
    print(f"  hand-written  {floor * 1e3:8.2f} ms   engine / floor = {engine / floor:.2f}x")
    print(f"  micrograd     {theirs * 1e3:8.1f} ms   micrograd / engine = {theirs / engine:.0f}x")


if __name__ == "__main__":
    main()

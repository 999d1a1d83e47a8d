"""How close the engine is to the floor of pure Python: the moons demo step written by hand.

The same step as bench_engine.py's `demo_step` (moons, 100 points, MLP 2-16-16-1 with
ReLU hidden layers and a linear output, hinge loss + 1e-4 L2, learning rate
1 - 0.9k/100), written with plain lists of floats: forward, loss, backward and update,
no autograd objects; and the same for its `lecture_step` (MLP 3-4-4-1, 4 samples,
squared error, learning rate 0.05); and a `classes` workload, a 3-arm spiral (100 points,
MLP 2-16-16-3 relu/relu/linear, softmax cross-entropy + 1e-4 L2, the demo's learning rate),
where the peer is the engine's own layered form (`model.layered`: a node per neuron, what
several outputs ran as before engine/network_outputs.py) instead of micrograd (which has
no exp or log). Each starts from the engine's initial weights and
must reach the engine's loss at every step to 1e-12 (relative), or the benchmark stops.

Each of the three (our engine, the hand-written floor, karpathy's micrograd 0.1.0) runs
alone in a fresh process, in turn, several rounds; the table shows each one's median
step time over its rounds, and its fastest round (the least disturbed by other work on
the machine), and the ratios of each. A step's time is the process's CPU time
(time.process_time), so the moments another program holds the core are not counted;
the cycle collector's work is (it runs in the step). On a shared machine, quote the ratios.

    python benchmarks/bench_floor.py [--rounds 3] [--steps 30]
"""

from __future__ import annotations

import argparse
import json
import math
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
    grads = _zero_grads(layers)
    data_loss = 0.0
    for x, y in zip(xs, ys):
        acts = _forward(layers, x)
        margin = acts[-1][0] * -y + 1
        if margin <= 0:
            continue  # this sample adds nothing to the loss nor to any grad
        data_loss += margin
        _backward(layers, grads, acts, [-y / n])
    reg = _squares(layers)
    rate = 1.0 - 0.9 * (k % total_steps) / total_steps
    _update(layers, grads, rate, 2e-4)
    return data_loss * (1.0 / n) + 1e-4 * reg


def classes_floor_step(layers, xs, ys, k: int, total_steps: int = 100) -> float:
    """One step of the classes workload on plain floats: mean softmax cross-entropy + 1e-4 L2."""
    n = len(xs)
    grads = _zero_grads(layers)
    data_loss = 0.0
    for x, y in zip(xs, ys):
        acts = _forward(layers, x)
        logits, label = acts[-1], int(y)
        top = max(logits)
        exps = [math.exp(z - top) for z in logits]
        total = sum(exps)
        data_loss += math.log(total) - (logits[label] - top)
        # d loss / d logit j = (softmax_j - [j = label]) / n
        _backward(layers, grads, acts, [(e / total - (j == label)) / n for j, e in enumerate(exps)])
    reg = _squares(layers)
    rate = 1.0 - 0.9 * (k % total_steps) / total_steps
    _update(layers, grads, rate, 2e-4)
    return data_loss * (1.0 / n) + 1e-4 * reg


def classes_step(model, xs, ys, k: int, total_steps: int = 100, layered: bool = False) -> float:
    """The classes workload's step on the engine: a model call per sample, ce, L2, backward, update."""
    from engine.losses import ce

    call = model.layered if layered else model
    scores = [call(x) for x in xs]
    total = ce(scores, ys) + 1e-4 * sum(p * p for p in model.parameters())
    model.zero_grad()
    total.backward()
    rate = 1.0 - 0.9 * (k % total_steps) / total_steps
    for p in model.parameters():
        p.data -= rate * p.grad
    return total.data


def _squares(layers) -> float:
    reg = 0.0
    for rows, bs, _ in layers:
        for row in rows:
            for w in row:
                reg += w * w
        for b in bs:
            reg += b * b
    return reg


def lecture_floor_step(layers, xs, ys, k: int) -> float:
    """One step of the lecture's loop on plain floats: squared error summed, learning rate 0.05."""
    grads = _zero_grads(layers)
    loss = 0.0
    samples = []
    for x, y in zip(xs, ys):
        acts = _forward(layers, x)
        error = acts[-1][0] - y
        loss += error * error
        samples.append((acts, error))
    # backward() meets the samples last to first: the same order keeps each grad's sum rounded
    # as the engine's (this loss falls near 0, where a last-bit difference shows)
    for acts, error in reversed(samples):
        _backward(layers, grads, acts, [2.0 * error])
    _update(layers, grads, 0.05, 0.0)
    return loss


def _zero_grads(layers):
    return [([[0.0] * len(r) for r in rows], [0.0] * len(bs)) for rows, bs, _ in layers]


def _forward(layers, x) -> list[list[float]]:
    """Every layer's outputs, the inputs first, adding left to right as the engine does."""
    acts, h = [x], x
    for rows, bs, relu in layers:
        out = []
        for row, b in zip(rows, bs):
            total = b
            for w, v in zip(row, h):
                total += w * v
            out.append(total if not relu or total > 0 else 0.0)
        h = out
        acts.append(h)
    return acts


def _backward(layers, grads, acts, upstream: list[float]) -> None:
    """Add one sample's grads, from d loss / d output = `upstream`, skipping ReLUs that are off."""
    for li in range(len(layers) - 1, -1, -1):
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


def _update(layers, grads, rate: float, decay: float) -> None:
    """w -= rate * (grad + decay * w): `decay` is the L2 term's derivative factor (2 × strength)."""
    for (rows, bs, _), (grad_rows, grad_bs) in zip(layers, grads):
        for row, grad_row in zip(rows, grad_rows):
            for i, w in enumerate(row):
                row[i] = w - rate * (grad_row[i] + decay * w)
        for j, b in enumerate(bs):
            bs[j] = b - rate * (grad_bs[j] + decay * b)


WORKLOADS = {
    # name: what it runs (the engine, the floor and micrograd each run the same steps from the same weights)
    "demo": "the moons demo step: MLP 2-16-16-1 relu/relu/linear, 100 points, hinge + 1e-4 L2",
    "lecture": "the lecture's workload: MLP 3-4-4-1 relu/relu/linear, 4 samples, squared error",
    "classes": "3 classes: MLP 2-16-16-3 relu/relu/linear, 3-arm spiral of 100 points, ce + 1e-4 L2",
}
# What each workload's engine is compared with beside the floor: micrograd, or for classes (micrograd
# has no exp nor log) the engine's own layered form, a node per neuron, as several outputs ran before.
PEERS = {"demo": "micrograd", "lecture": "micrograd", "classes": "layered"}


# How far (relative) the floor's and micrograd's losses may be from the engine's: the same
# arithmetic, up to the order of a few additions; the lecture's loss falls to 1e-7, where a
# last-bit difference of its terms is 1e-11 of it.
TOLERANCE = {"demo": 1e-12, "lecture": 1e-9, "classes": 1e-12}


def _engine_model(workload: str):
    from engine import MLP

    if workload in ("demo", "classes"):
        outputs = 3 if workload == "classes" else 1
        return MLP(2, [16, 16, outputs], activation="relu", output_activation="linear", seed=0)
    # seed 3: a net that trains down to a loss near 0 (with seed 0 every ReLU dies at once)
    return MLP(3, [4, 4, 1], activation="relu", output_activation="linear", seed=3)


def _run(kind: str, steps: int, workload: str) -> dict:
    """Time `steps` steps of one kind in this process; the losses come back for checking."""
    from bench_engine import copy_weights, demo_step, lecture_step

    from engine.data import lecture, moons
    from engine.problem_presets import arms

    data = {"demo": lambda: moons(100, 0.1, 0), "lecture": lecture, "classes": lambda: arms(100, 0.05, 0, 3)}[
        workload
    ]()
    xs, ys = data.inputs, data.targets
    model = _engine_model(workload)
    if kind == "floor":
        layers = [
            (
                [[w.data for w in n.w] for n in layer.neurons],
                [n.b.data for n in layer.neurons],
                layer.activation == "relu",
            )
            for layer in model.layers
        ]
        floor = {"demo": floor_step, "lecture": lecture_floor_step, "classes": classes_floor_step}[workload]
        step = partial(floor, layers, xs, ys)
    elif workload == "classes":
        step = partial(classes_step, model, xs, ys, layered=kind == "layered")
    else:
        engine_step = demo_step if workload == "demo" else lecture_step
        if kind == "micrograd":
            from micrograd import nn as micrograd_nn

            theirs = micrograd_nn.MLP(model.nin, model.sizes)  # ReLU hidden layers, linear output
            copy_weights(model, theirs)
            model = theirs
        step = partial(engine_step, model, xs, ys)
    losses, times = [], []
    for k in range(steps):
        started = time.process_time()
        losses.append(step(k))
        times.append(time.process_time() - started)
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
    parser.add_argument("--workload", choices=list(WORKLOADS), help=argparse.SUPPRESS)
    parser.add_argument("--only", choices=list(WORKLOADS), help="run this workload alone")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_run(args.child, args.steps, args.workload)))
        return
    print(f"10M-iteration float loop: {float_loop_seconds():.2f} s (a slow instance takes 2.06 s)")
    for workload, title in WORKLOADS.items():
        if args.only and workload != args.only:
            continue
        rounds = _compare(workload, args.rounds, args.steps)
        peer = PEERS[workload]
        print(f"{title}; each alone in its process, {args.rounds} rounds:")
        print("                  median of rounds              fastest round")
        engine, floor, theirs = (statistics.median(times) for times in rounds)
        fast_engine, fast_floor, fast_theirs = (min(times) for times in rounds)
        digits = 0 if peer == "micrograd" else 2
        print(f"  engine        {engine * 1e3:9.3f} ms                    {fast_engine * 1e3:9.3f} ms")
        print(
            f"  hand-written  {floor * 1e3:9.3f} ms   engine / floor = {engine / floor:.2f}x"
            f"   {fast_floor * 1e3:9.3f} ms   {fast_engine / fast_floor:.2f}x"
        )
        print(
            f"  {peer:<13} {theirs * 1e3:9.3f} ms   {peer} / engine = {theirs / engine:.{digits}f}x"
            f"   {fast_theirs * 1e3:9.3f} ms   {fast_theirs / fast_engine:.{digits}f}x"
        )
    print(f"10M-iteration float loop: {float_loop_seconds():.2f} s (again, after the runs)")


def _compare(workload: str, rounds: int, steps: int) -> tuple[list[float], list[float], list[float]]:
    """The median step time of each round of the engine, the floor and the peer, alternating in
    fresh processes. On a shared machine a neighbour's work slows whole rounds (caches, clock):
    the fastest round is the one least disturbed, the median the typical one."""
    kinds = ["engine", "floor", PEERS[workload]]
    medians: dict[str, list[float]] = {kind: [] for kind in kinds}
    steps_of = {"engine": steps, "floor": steps, "micrograd": min(steps, 5), "layered": steps}
    if workload == "lecture":  # a step takes microseconds: many more of them
        steps_of = {kind: 1000 for kind in kinds}  # more, and two runs part: a ReLU flips on a last bit
    reference = None
    for _ in range(rounds):
        for kind in kinds:
            command = [sys.executable, __file__, "--child", kind, "--steps", str(steps_of[kind])]
            out = subprocess.run(
                [*command, "--workload", workload], capture_output=True, text=True, check=True
            )
            result = json.loads(out.stdout)
            medians[kind].append(result["median"])
            if kind == "engine":
                reference = result["losses"]
            elif reference is not None:
                pairs = zip(result["losses"], reference)
                worst = max(abs(a - b) / max(abs(b), 1e-300) for a, b in pairs)
                if worst > TOLERANCE[workload]:
                    sys.exit(f"{kind} left the engine's losses (relative difference {worst:.2e})")
    return tuple(medians[k] for k in kinds)


if __name__ == "__main__":
    main()

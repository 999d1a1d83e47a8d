"""Speed and memory of one training step: our engine against karpathy's micrograd.

Runs micrograd's own demo loop (moons, 100 points, MLP(2, [16, 16, 1]) with ReLU
hidden layers and a linear output, hinge loss + 1e-4 L2, learning rate
1 - 0.9*k/100) with both engines, step by step in turn, in one process, and
prints seconds per step and the ratio. The loop below is written once, the plain
way, and runs unchanged on both engines' public APIs: a model call per sample,
Python's sum(), zero_grad(), backward(), and the update.

    python benchmarks/bench_engine.py            # needs `pip install micrograd==0.1.0`
    python benchmarks/bench_engine.py --rounds 2 --block 2   # quicker

The engines run in alternating blocks of back-to-back steps (see `compare`).
Absolute times on a shared machine are noise; the ratio, measured side by side
in one run, is the figure to quote.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import MLP  # noqa: E402
from engine.data import lecture, moons  # noqa: E402


def demo_step(model, xs, ys, k: int, total_steps: int = 100) -> float:
    """One step of micrograd's demo.ipynb loop, written against the public API only."""
    scores = [model(x) for x in xs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    learning_rate = 1.0 - 0.9 * k / total_steps
    for p in model.parameters():
        p.data -= learning_rate * p.grad
    return total.data


def lecture_step(model, xs, ys, k: int) -> float:
    """One step of the lecture's loop: squared error on 4 samples, learning rate 0.05."""
    preds = [model(x) for x in xs]
    loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, preds))
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= 0.05 * p.grad
    return loss.data


def copy_weights(src: MLP, dst) -> None:
    """Give micrograd's model exactly our initial weights (both list parameters in the same order)."""
    for a, b in zip(src.parameters(), dst.parameters(), strict=True):
        b.data = a.data


def peak_memory(step, model, xs, ys) -> float:
    """Peak bytes allocated during one step, as traced by tracemalloc."""
    gc.collect()
    tracemalloc.start()
    step(model, xs, ys, 0)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def torch_step_seconds(xs, ys, sizes, activation, loss: str, repeats: int) -> float | None:
    """Seconds per step of the same workload in PyTorch float64 (full batch), or None."""
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    act = {"relu": torch.nn.ReLU}[activation]
    layers, nin = [], len(xs[0])
    for i, n in enumerate(sizes):
        layers.append(torch.nn.Linear(nin, n, dtype=torch.float64))
        if i < len(sizes) - 1:
            layers.append(act())
        nin = n
    net = torch.nn.Sequential(*layers)
    X = torch.tensor(xs, dtype=torch.float64)
    Y = torch.tensor(ys, dtype=torch.float64)

    def step(k: int) -> None:
        scores = net(X).squeeze(1)
        if loss == "hinge":
            total = torch.relu(1 - Y * scores).mean() + 1e-4 * sum((p * p).sum() for p in net.parameters())
            learning_rate = 1.0 - 0.9 * k / 100
        else:
            total = ((scores - Y) ** 2).sum()
            learning_rate = 0.05
        net.zero_grad()
        total.backward()
        with torch.no_grad():
            for p in net.parameters():
                p -= learning_rate * p.grad

    for k in range(5):
        step(k)
    start = time.perf_counter()
    for k in range(repeats):
        step(k % 100)
    return (time.perf_counter() - start) / repeats


def compare(name: str, step, xs, ys, make_ours, make_theirs, rounds: int, block: int) -> dict:
    """Alternate blocks of steady-state steps of each engine; seconds per step of each.

    Within a block, steps run back to back as in a real training loop, so each
    engine pays for its own garbage collection (micrograd's closures make cycles
    that only the cycle collector frees). Before each block the heap is collected
    and one untimed step runs, so neither engine pays for the other's garbage.
    """
    ours, theirs = make_ours(), make_theirs()
    copy_weights(ours, theirs)
    times = {"ours": [], "theirs": []}
    k = 0
    for _ in range(rounds):
        for key, model in (("ours", ours), ("theirs", theirs)):
            gc.collect()
            step(model, xs, ys, k)
            start = time.perf_counter()
            for i in range(block):
                step(model, xs, ys, k + i)
            times[key].append((time.perf_counter() - start) / block)
        k += block + 1
    ours_s, theirs_s = statistics.median(times["ours"]), statistics.median(times["theirs"])
    steps_each = rounds * (block + 1)
    final_ours, final_theirs = step(ours, xs, ys, k), step(theirs, xs, ys, k)
    print(f"\n{name}: {rounds} alternating blocks of {block} timed steps per engine (median)")
    print(f"  micrograd-studio  {ours_s * 1e3:10.3f} ms per step")
    print(f"  micrograd 0.1.0   {theirs_s * 1e3:10.3f} ms per step")
    print(f"  ratio             {theirs_s / ours_s:10.1f}x faster")
    print(
        f"  loss after {steps_each} steps from the same weights: ours {final_ours:.6f}, micrograd {final_theirs:.6f}"
    )
    return {"ours": ours_s, "theirs": theirs_s, "ours_model": ours, "theirs_model": theirs}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating blocks per engine (default 3)")
    parser.add_argument("--block", type=int, default=4, help="timed steps per block (default 4)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    try:
        import micrograd.nn as mg_nn
    except ImportError:
        sys.exit("karpathy's micrograd is the peer we measure against: pip install micrograd==0.1.0")

    print(f"Python {sys.version.split()[0]}, gc thresholds {gc.get_threshold()}")
    data = moons(100, noise=0.1, seed=args.seed)
    xs, ys = data.inputs, data.targets

    demo = compare(
        "micrograd's moons demo step (MLP 2-16-16-1, 100 points, hinge + L2)",
        demo_step,
        xs,
        ys,
        lambda: MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=args.seed),
        lambda: mg_nn.MLP(2, [16, 16, 1]),
        args.rounds,
        args.block,
    )
    ours_peak = peak_memory(demo_step, demo["ours_model"], xs, ys)
    theirs_peak = peak_memory(demo_step, demo["theirs_model"], xs, ys)
    print(
        f"  peak memory of one step (tracemalloc): ours {ours_peak / 2**20:.2f} MB, "
        f"micrograd {theirs_peak / 2**20:.2f} MB"
    )

    tiny = lecture()
    # micrograd 0.1.0 has no tanh, so both run the lecture's MLP(3, [4, 4, 1]) with
    # ReLU hidden layers and a linear output here.
    tiny_result = compare(
        "the lecture's tiny workload (MLP 3-4-4-1, 4 samples, squared error)",
        lecture_step,
        tiny.inputs,
        tiny.targets,
        lambda: MLP(3, [4, 4, 1], activation="relu", output_activation="linear", seed=args.seed),
        lambda: mg_nn.MLP(3, [4, 4, 1]),
        args.rounds,
        args.block * 100,
    )

    demo_torch = torch_step_seconds(xs, ys, [16, 16, 1], "relu", "hinge", 200)
    tiny_torch = torch_step_seconds(tiny.inputs, tiny.targets, [4, 4, 1], "relu", "mse", 500)
    if demo_torch is None:
        print("\nPyTorch not installed: skipping the float64 comparison (pip install torch==2.13.0)")
    else:
        print("\nPyTorch float64, same workloads, full-batch tensors (not a scalar engine)")
        print(
            f"  moons demo step  {demo_torch * 1e3:8.3f} ms  (ours / torch = {demo['ours'] / demo_torch:.1f})"
        )
        print(
            f"  lecture step     {tiny_torch * 1e3:8.3f} ms  "
            f"(ours / torch = {tiny_result['ours'] / tiny_torch:.1f})"
        )


if __name__ == "__main__":
    main()

"""Speed and memory of one training step: our engine against karpathy's micrograd.

Runs micrograd's own demo loop (moons, 100 points, MLP(2, [16, 16, 1]) with ReLU
hidden layers and a linear output, hinge loss + 1e-4 L2, learning rate
1 - 0.9*k/100) with both engines, step by step in turn, in one process, and
prints seconds per step and the ratio. The loop below is written once, the plain
way, and runs unchanged on both engines' public APIs: a model call per sample,
Python's sum(), zero_grad(), backward(), and the update.

    python benchmarks/bench_engine.py            # needs `pip install micrograd==0.1.0`
    python benchmarks/bench_engine.py --rounds 2 --block 2   # quicker

The engines run in alternating blocks of back-to-back steps (see `interleaved`).
Absolute times on a shared machine are noise; the ratio, measured side by side
in one run, is the figure to quote.

PyTorch float64 runs the same step as whole-batch tensor operations, from the same
initial weights, pinned to one thread: at these sizes its default thread pool only
spins against the other engines and programs on the machine (17.7 ms a moons step
with default threads against 1.3 ms on one, on a 2-core machine); `--default-threads`
leaves it as it comes. Every engine must reach the same loss from the same weights:
the benchmark stops with an error if one does not (a fast wrong engine proves nothing).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import MLP
from engine.data import lecture, moons


def demo_step(model, xs, ys, k: int, total_steps: int = 100) -> float:
    """One step of micrograd's demo.ipynb loop, written against the public API only."""
    scores = [model(x) for x in xs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    learning_rate = 1.0 - 0.9 * (k % total_steps) / total_steps  # restarts after total_steps
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


def torch_step(model: MLP, xs, ys, loss: str) -> Callable[[int], float] | None:
    """The same step in PyTorch float64 as whole-batch tensors, from `model`'s current weights.

    `loss` is "hinge" (the demo: hinge + 1e-4 L2, learning rate 1 - 0.9k/100) or "sse"
    (the lecture: squared error summed, learning rate 0.05). ReLU hidden layers, linear
    output. None if torch is not installed.
    """
    try:
        import torch
    except ImportError:
        return None
    params = []
    for layer in model.layers:
        weight = [[w.data for w in n.w] for n in layer.neurons]
        bias = [n.b.data for n in layer.neurons]
        params += [
            torch.tensor(weight, dtype=torch.float64, requires_grad=True),
            torch.tensor(bias, dtype=torch.float64, requires_grad=True),
        ]
    X = torch.tensor(xs, dtype=torch.float64)
    Y = torch.tensor(ys, dtype=torch.float64)

    def step(k: int) -> float:
        h = X
        for i in range(0, len(params), 2):
            h = h @ params[i].T + params[i + 1]
            if i < len(params) - 2:
                h = torch.relu(h)
        scores = h.reshape(-1)
        if loss == "hinge":
            total = torch.relu(1 - Y * scores).mean() + 1e-4 * sum((p * p).sum() for p in params)
            learning_rate = 1.0 - 0.9 * (k % 100) / 100  # as demo_step
        else:
            total = ((scores - Y) ** 2).sum()
            learning_rate = 0.05
        for p in params:
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in params:
                p -= learning_rate * p.grad
        return total.item()

    return step


def interleaved(
    engines: dict[str, Callable[[int], float]],
    rounds: int,
    blocks: dict[str, int],
    rounds_of: dict[str, int] | None = None,
) -> dict:
    """Median seconds per step of each engine, timed in alternating blocks; and every step's loss.

    Round after round, each engine in turn runs one untimed step, then `blocks[name]`
    timed steps back to back, as in a real training loop, so each engine pays for its
    own garbage collection (micrograd's closures make cycles that only the cycle
    collector frees); the heap is collected before each block, so no engine pays for
    another's garbage. Interleaving spreads the machine's slow moments over all engines.
    Each engine numbers its steps from 0, so with equal blocks all take the same steps.
    `rounds_of` lets a very slow engine (micrograd on large workloads) sit out later rounds.
    """
    times: dict[str, list[float]] = {name: [] for name in engines}
    losses: dict[str, list[float]] = {name: [] for name in engines}
    for r in range(rounds):
        for name, step in engines.items():
            if rounds_of and r >= rounds_of.get(name, rounds):
                continue
            record = losses[name]
            gc.collect()
            record.append(step(len(record)))
            block = blocks[name]
            start = time.perf_counter()
            for _ in range(block):
                record.append(step(len(record)))
            times[name].append((time.perf_counter() - start) / block)
    return {"seconds": {name: statistics.median(t) for name, t in times.items()}, "losses": losses}


def assert_same_losses(losses: dict[str, list[float]], reference: str, rel: float) -> None:
    """Stop the benchmark unless every engine's loss equals the reference's at every step (to `rel`)."""
    want = losses[reference]
    for name, got in losses.items():
        if len(got) != len(want):
            raise AssertionError(f"{name} took {len(got)} steps, {reference} {len(want)}")
        worst = max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(got, want))
        print(
            f"  {name:<17} loss at step 1: {got[0]:.12g}, at step {len(got)}: {got[-1]:.12g}; "
            f"largest relative difference from {reference}: {worst:.1e}"
        )
        if worst > rel:
            raise AssertionError(f"{name}'s losses differ from {reference}'s by {worst:.1e} (relative)")


def compare(name: str, step, xs, ys, make_ours, make_theirs, loss: str, rounds: int, block: int) -> dict:
    """Ours, micrograd and (if installed) PyTorch from the same weights, in alternating blocks.

    Prints ms per step and the ratios, and asserts that all reach the same loss.
    """
    ours, theirs = make_ours(), make_theirs()
    copy_weights(ours, theirs)
    engines = {
        "micrograd-studio": lambda k: step(ours, xs, ys, k),
        "micrograd 0.1.0": lambda k: step(theirs, xs, ys, k),
    }
    torch = torch_step(ours, xs, ys, loss)  # built now: from the same initial weights
    if torch is not None:
        engines["PyTorch float64"] = torch
    result = interleaved(engines, rounds, dict.fromkeys(engines, block))
    seconds = result["seconds"]
    ours_s = seconds["micrograd-studio"]
    print(f"\n{name}: {rounds} alternating blocks of {block} timed steps per engine (median)")
    for engine, s in seconds.items():
        print(f"  {engine:<17} {s * 1e3:10.3f} ms per step   {s / ours_s:8.2f}x ours")
    print(f"  ratio             {seconds['micrograd 0.1.0'] / ours_s:10.1f}x faster than micrograd")
    # Same weights, same steps: the same losses, step after step. Float sums in another
    # order (micrograd's sum(), PyTorch's matrix products) leave about 1e-15 between them.
    assert_same_losses(result["losses"], "micrograd-studio", rel=1e-9)
    return {
        "ours": ours_s,
        "theirs": seconds["micrograd 0.1.0"],
        "torch": seconds.get("PyTorch float64"),
        "ours_model": ours,
        "theirs_model": theirs,
    }


def import_torch(default_threads: bool) -> str:
    """Import PyTorch (on one thread unless `default_threads`), then freeze what imports made; say how it went."""
    try:
        import torch

        if not default_threads:
            torch.set_num_threads(1)
        note = f"torch {torch.__version__} on {torch.get_num_threads()} thread(s)"
    except ImportError:
        note = "PyTorch not installed: skipping it (pip install torch, CPU build)"
    # Importing torch leaves ~150,000 objects for the cycle collector to walk on every
    # full collection, and a scalar engine's step triggers many: measured, the plain moons
    # step took 1.5-1.8x as long with torch imported. Freezing what the imports made
    # (gc.freeze: never collected, never walked) times every engine as in a process without torch.
    gc.freeze()
    return note


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating blocks per engine (default 3)")
    parser.add_argument("--block", type=int, default=4, help="timed steps per block (default 4)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--default-threads", action="store_true", help="leave PyTorch's thread count as it is"
    )
    args = parser.parse_args()
    try:
        import micrograd.nn as mg_nn
    except ImportError:
        sys.exit("karpathy's micrograd is the peer we measure against: pip install micrograd==0.1.0")
    torch_note = import_torch(args.default_threads)
    print(
        f"Python {sys.version.split()[0]}, gc thresholds {gc.get_threshold()} "
        f"({gc.get_freeze_count():,} objects frozen after imports), {torch_note}"
    )
    data = moons(100, noise=0.1, seed=args.seed)
    xs, ys = data.inputs, data.targets

    demo = compare(
        "micrograd's moons demo step (MLP 2-16-16-1, 100 points, hinge + L2)",
        demo_step,
        xs,
        ys,
        lambda: MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=args.seed),
        lambda: mg_nn.MLP(2, [16, 16, 1]),
        "hinge",
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
    compare(
        "the lecture's tiny workload (MLP 3-4-4-1, 4 samples, squared error)",
        lecture_step,
        tiny.inputs,
        tiny.targets,
        lambda: MLP(3, [4, 4, 1], activation="relu", output_activation="linear", seed=args.seed),
        lambda: mg_nn.MLP(3, [4, 4, 1]),
        "sse",
        args.rounds,
        args.block * 100,
    )


if __name__ == "__main__":
    main()

"""How long the Network view's numbers take: every neuron's picture from one NumPy pass over a grid.

Times `neuron_outputs` for MLP 2-16-16-1 (33 neurons) on the view's grid, the NumPy backprop
behind the gradient colours, and the largest model the app allows (8 hidden layers of 256) on
the smaller grid the view falls back to, the whole job of the view, and what the GUI thread does with
its result (QImages and one full paint of the diagram). Medians over rounds; nothing asserted (the machine is
shared: the figures are for reading). Goal for 2-16-16-1 on the grid: at most 20 ms.

    .venv/bin/python benchmarks/bench_network.py
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gui.app import configure_runtime

configure_runtime()  # as the app runs: before NumPy is imported

from bench_boundary import median_ms

from engine.data import moons
from engine.network import loss_gradients, neuron_outputs, plane_points
from engine.nn import MLP
from engine.weights import ModelWeights


def main() -> None:
    _canvas()  # the QApplication first
    from gui.views.network_numbers import (
        HEATMAP_PIXELS,
        SMALL_HEATMAP_PIXELS,
        NumbersRequest,
        compute_numbers,
    )
    from gui.views.network_paint import shown_counts

    data = moons(100, seed=0)
    small = ModelWeights.from_model(MLP(2, [16, 16, 1], seed=0))
    points, _, _ = plane_points((-1.5, 2.5, -1.0, 1.5), HEATMAP_PIXELS, 2)
    ms = median_ms(lambda: neuron_outputs(small, points), 30)
    print(f"2-16-16-1, {HEATMAP_PIXELS}x{HEATMAP_PIXELS} grid, all 33 neurons: {ms:.2f} ms (goal <= 20 ms)")
    big_points, _, _ = plane_points((-1.5, 2.5, -1.0, 1.5), 100, 2)
    ms = median_ms(lambda: neuron_outputs(small, big_points), 20)
    print(f"2-16-16-1, 100x100 grid (the boundary's), all 33 neurons: {ms:.2f} ms")
    ms = median_ms(lambda: loss_gradients(small, data.inputs, data.targets, "mse"), 30)
    print(f"2-16-16-1, backprop over 100 samples (gradient colours): {ms:.2f} ms")
    largest = ModelWeights.from_model(MLP(2, [256] * 8 + [1], seed=0))
    points, _, _ = plane_points((-1.5, 2.5, -1.0, 1.5), SMALL_HEATMAP_PIXELS, 2)
    ms = median_ms(lambda: neuron_outputs(largest, points), 5)
    print(f"2-256x8-1, {SMALL_HEATMAP_PIXELS}x{SMALL_HEATMAP_PIXELS} grid, all 2049 neurons: {ms:.2f} ms")
    ms = median_ms(lambda: loss_gradients(largest, data.inputs, data.targets, "mse"), 5)
    print(f"2-256x8-1, backprop over 100 samples: {ms:.2f} ms")
    for name, weights, shown in (
        ("2-16-16-1", small, (2, 16, 16, 1)),
        ("2-256x8-1", largest, (2,) + (20,) * 8 + (1,)),
    ):
        request = NumbersRequest(weights, data.inputs, data.targets, "mse", 0.0, 0, (0, 1), shown)
        ms = median_ms(lambda request=request: compute_numbers(request), 5)
        print(f"{name}, the view's whole job (pictures, sample, gradients, dead/saturated): {ms:.2f} ms")
        numbers = compute_numbers(replace(request, shown=shown_counts(request_sizes(weights), 560)))
        ms = median_ms(lambda numbers=numbers: paint_once(numbers), 5)
        print(f"{name}, GUI thread: QImages and a full paint of the diagram at 600x560: {ms:.2f} ms")


def request_sizes(weights) -> list[int]:
    return [weights.inputs, *weights.sizes]


def paint_once(numbers) -> None:
    """What the GUI thread does with a job's result: wrap the pictures, paint the diagram once."""
    canvas = _canvas()
    canvas.set_numbers(numbers)
    canvas.grab()


_CANVAS = []


def _canvas():
    if not _CANVAS:
        import os

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtWidgets import QApplication

        from gui.views.network_paint import NetworkCanvas

        _CANVAS.append(QApplication.instance() or QApplication([]))
        canvas = NetworkCanvas()
        canvas.resize(600, 560)
        _CANVAS.append(canvas)
    return _CANVAS[1]


if __name__ == "__main__":
    main()

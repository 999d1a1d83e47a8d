"""How long the Decision boundary tab takes to show new weights.

Times `BoundaryView.set_weights` (the 100 x 100 grid through NumPy, the image and the
boundary line) alone, and followed by a full `canvas.draw()` at 800 x 600, for the
moons demo's MLP 2-16-16-1 over 100 samples. Medians over rounds; nothing asserted
(a shared machine is noisy: the figures are for reading, the tests check behaviour).

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_boundary.py
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from gui.app import configure_runtime

configure_runtime()  # as the app runs: before NumPy is imported

from PySide6.QtWidgets import QApplication
from timing import median_ms

from engine.data import moons
from engine.nn import MLP
from engine.weights import ModelWeights
from gui.views.boundary_view import BoundaryView


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    view = BoundaryView()
    view.resize(800, 600)
    view.show()
    app.processEvents()
    view.set_dataset(moons(100, seed=0))
    # two sets of weights, alternated, so no call can reuse the previous one's result
    weights = [
        ModelWeights.from_model(MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=s))
        for s in (1, 2)
    ]
    view.set_weights(weights[0])
    view.canvas.draw()  # first draw: fonts and caches
    turn = [0]

    def next_weights() -> ModelWeights:
        turn[0] += 1
        return weights[turn[0] % 2]

    def set_and_draw() -> None:
        view.set_weights(next_weights())
        view.canvas.draw()

    full = median_ms(set_and_draw, args.rounds)
    alone = median_ms(lambda: view.set_weights(next_weights()), args.rounds)
    print("Decision boundary: MLP 2-16-16-1, 100 samples, 100 x 100 grid, 800 x 600 canvas")
    print(f"  set_weights (grid, image, boundary; blitted)   {alone:7.1f} ms  (median of {args.rounds})")
    print(f"  set_weights + full canvas.draw()               {full:7.1f} ms")
    view.close()


if __name__ == "__main__":
    main()

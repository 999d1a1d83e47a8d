"""The child of gui/window/rate_finder.py: runs one learning-rate sweep and sends the result (no Qt here).

Command: ("sweep", ModelWeights, Dataset, TrainSettings, steps). Event: ("swept", RateSweep)
or ("failed", message). A child of its own, so the sweep's seconds of scalar training hold
neither the window nor the training process.
"""

from __future__ import annotations

from engine.diagnostics import sweep_learning_rates
from gui.processes.child_process import Receive, Send, child_main


def serve(receive: Receive, send: Send) -> None:
    while (command := receive()) is not None:
        _, weights, dataset, settings, steps = command
        try:
            send(("swept", sweep_learning_rates(weights.to_model(), dataset, settings, steps=steps)))
        except Exception as exc:  # a message for the window, never a dead child
            send(("failed", f"The learning-rate sweep stopped: {exc}"))


if __name__ == "__main__":
    child_main(serve)

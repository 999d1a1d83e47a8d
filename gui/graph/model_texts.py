"""The Computation graph tab's texts and small widgets: its toolbar combos, sample names, step label."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtWidgets import QComboBox

from engine.backprop import BackpropSession

BACKWARD_AGAIN_TIP = (
    "Call loss.backward() once more without zero_grad() first: every leaf (input, weight, bias)\n"
    "adds the same gradient again, so its grad doubles, then triples... This is the accumulation\n"
    "bug the lecture warns about, made visible: training would step with these wrong gradients.\n"
    "Reset shows the gradients of a single backward() again."
)


def sample_text(index: int, xs: Sequence[float], y: float) -> str:
    shown = ", ".join(f"{x:.3g}" for x in xs[:4]) + (", …" if len(xs) > 4 else "")
    return f"Sample {index + 1} (x = {shown} → y = {y:.3g})"


def idle_text(session: BackpropSession) -> str:
    """The step label outside step-through."""
    calls = session.backward_calls
    if calls > 1:
        return (
            f"backward() has run {calls}× without zero_grad(): every leaf (input, weight, "
            f"bias) holds {calls}× its true gradient, while the nodes in between are "
            "recomputed each time. This is the bug zero_grad() prevents. Reset to undo."
        )
    return (
        "Gradients from one backward(). Step ▶ replays backprop one node at a time, output first; "
        "click any node for its chain rule."
    )


def combo(
    items: Sequence[str],
    min_length: int,
    tip: str,
    on_change: Callable[[int], None],
    kind: type[QComboBox] = QComboBox,
) -> QComboBox:
    """A toolbar combo box as wide as `min_length` characters."""
    combo = kind(toolTip=tip, minimumContentsLength=min_length)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.addItems(list(items))
    combo.currentIndexChanged.connect(on_change)
    return combo

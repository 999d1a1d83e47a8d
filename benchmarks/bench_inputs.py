"""How long hostile or large input takes to refuse (or load): the timings the tests do not assert.

The tests check that each input gets its message; these figures say how fast, on
this machine, so a regression shows up here rather than as a flaky test on a slow
one. Medians over a few repeats; nothing asserted.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_inputs.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from timing import median_ms

from engine.expression import ExpressionError, evaluate

ABC = {"a": 2.0, "b": -3.0, "c": 10.0}

# The largest of the tests' hostile expressions, each with what it is
EXPRESSIONS = [
    ("a**10**10", "a huge exponent"),
    ("(" * 10_000 + "a" + ")" * 10_000, "10,000 brackets deep"),
    ("a + " * 250_000 + "a", "1 MB of additions"),
    ("-" * 200_000 + "a", "200,000 unary minuses"),
    ("0x" + "f" * 300, "a 300-digit hex number"),
    ("__import__('os')", "a call to __import__"),
]


def refuse(text: str) -> None:
    try:
        evaluate(text, ABC)
    except ExpressionError:
        return
    raise AssertionError(f"{text[:40]!r} was accepted")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print("engine.expression.evaluate refusing hostile text (median ms):")
    for text, what in EXPRESSIONS:
        print(f"  {what:<26} {median_ms(lambda text=text: refuse(text), args.repeats):9.2f} ms")

    from PySide6.QtWidgets import QApplication

    from gui.panels.data_panel import DataPanel
    from gui.views.expression_view import ExpressionView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    view = ExpressionView()
    view.expression_edit.setText("a + " * 250_000 + "a")
    print("Expression tab, evaluate_now() refusing (median ms):")
    print(f"  a 1 MB expression          {median_ms(view.evaluate_now, args.repeats):9.2f} ms")
    view.expression_edit.setText("a*b + c")
    view.variables_edit.setPlainText("a = 1\n" * 200_000)
    print(f"  1.2 MB of variables        {median_ms(view.evaluate_now, args.repeats):9.2f} ms")

    panel = DataPanel()
    panel.preset_combo.setCurrentIndex(panel.preset_combo.findData("moons"))

    def load_2000_rows() -> None:
        panel.samples_spin.setValue(100)  # untimed: from 100 rows each time
        start = time.perf_counter()
        panel.samples_spin.setValue(2000)
        times.append(time.perf_counter() - start)

    times: list[float] = []
    for _ in range(args.repeats):
        load_2000_rows()
    print("Data panel (median ms):")
    print(
        f"  moons, 100 -> 2000 samples {statistics.median(times) * 1e3:9.2f} ms (table and dataset_changed)"
    )
    app.processEvents()


if __name__ == "__main__":
    main()

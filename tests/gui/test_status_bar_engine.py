"""The status bar names the engine in a learner's words, as the Training panel's Compiled switch does."""

from __future__ import annotations

from gui.panels.training_panel import TrainingPanel
from gui.window.status_bar import TrainingStatusBar


def test_the_scalar_engine_is_named_by_what_it_trains_with(qtbot):
    bar = TrainingStatusBar()
    qtbot.addWidget(bar)
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    assert bar.engine_label.text() == "scalar engine (Value objects)"
    assert "plain" not in bar.engine_label.text()
    assert f"Training ▸ {panel.compiled_check.text()}" in bar.engine_label.toolTip()


def test_compiled_says_numpy_and_what_compiling_made(qtbot):
    bar = TrainingStatusBar()
    qtbot.addWidget(bar)
    bar.show_engine("compiled: 1,234 scalar ops → 9 array ops", "The step as 9 array operations.")
    assert bar.engine_label.text() == "compiled (NumPy): 1,234 scalar ops → 9 array ops"
    assert bar.engine_label.toolTip() == "The step as 9 array operations."


def test_compiled_ticked_but_not_in_use_says_why_in_the_tooltip(qtbot):
    bar = TrainingStatusBar()
    qtbot.addWidget(bar)
    bar.show_engine("plain engine", "Compiled mode is not in use: the loss is not supported.")
    assert bar.engine_label.text() == "scalar engine (Value objects)"
    assert bar.engine_label.toolTip().endswith("Compiled mode is not in use: the loss is not supported.")


def test_the_compiled_switchs_tooltip_names_the_engines_as_the_status_bar_does(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    tip = panel.compiled_check.toolTip()
    assert "plain engine" not in tip and "scalar engine" in tip

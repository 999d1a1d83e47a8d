"""The Optimizer tab shows the numbers its step used (lr after decay, μ, β1, β2, ε, Adam's t)
and the update formula with them plugged in; the table's update follows from exactly those."""

from __future__ import annotations

import math

import pytest

from engine.data import lecture
from engine.session import Session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from gui.views.optimizer_numbers import formula_rows

TIMEOUT_MS = 60_000


def _open(window, **settings) -> None:
    window.apply_session(Session(lecture(), ModelSpec(), TrainSettings(steps=40, **settings)))
    window.tabs.setCurrentWidget(window.optimizer_view)


def _steps(qtbot, window, count: int) -> None:
    view = window.optimizer_view
    for _ in range(count):
        target = len(window.current_session().history) + 1

        def shown(target: int = target) -> bool:
            snapshot = view.model.snapshot
            return snapshot is not None and snapshot.step == target and window.state == "paused"

        window.step()
        qtbot.waitUntil(shown, timeout=TIMEOUT_MS)


def _column(view, title: str) -> list[float]:
    fields = {"update": "update", "m": "momentum", "b": "momentum", "v": "second_moment"}
    return getattr(view.model.snapshot, fields[title])


def test_adams_numbers_are_the_ones_its_update_used(qtbot, window):
    _open(window, optimizer="adam", learning_rate=0.05, decay=True, beta1=0.8, beta2=0.99, eps=1e-6)
    _steps(qtbot, window, 12)
    view = window.optimizer_view
    n = view.numbers
    assert (n.beta1, n.beta2, n.eps, n.t) == (0.8, 0.99, 1e-6, 12)
    assert n.learning_rate == TrainSettings(learning_rate=0.05, decay=True, steps=40).learning_rate_at(11)
    text = view.values_label.text()
    for shown in (f"lr = {n.learning_rate:.4g}", "β1 = 0.8", "β2 = 0.99", "ε = 1e-06", "t = 12"):
        assert shown in text
    assert "from 0.05 to 0.005 over 40 steps" in text
    # update = −lr·m' / (√v' + ε), m' = m / (1 − β1^t), v' = v / (1 − β2^t): with the numbers shown
    for m, v, update in zip(_column(view, "m"), _column(view, "v"), _column(view, "update")):
        expected = -n.learning_rate * (m / (1 - n.beta1**n.t)) / (math.sqrt(v / (1 - n.beta2**n.t)) + n.eps)
        assert update == pytest.approx(expected, rel=1e-12, abs=1e-15)
    table = view.formula_label.text()
    assert "0.8·m + 0.2·grad" in table and "m / (1 − 0.8^12) = m / 0.9313" in table


def test_adam_chosen_midway_counts_its_own_steps(qtbot, window):
    _open(window, optimizer="sgd")
    _steps(qtbot, window, 4)
    assert "−0.05·grad" in window.optimizer_view.formula_label.text()
    fields = window.training_panel.optimizer_fields
    fields.combo.setCurrentIndex(fields.combo.findData("adam"))
    _steps(qtbot, window, 3)
    view = window.optimizer_view
    n = view.numbers
    assert view.model.snapshot.step == 7 and n.t == 3  # Adam's third step, the run's seventh
    for m, v, update in zip(_column(view, "m"), _column(view, "v"), _column(view, "update")):
        expected = -n.learning_rate * (m / (1 - n.beta1**3)) / (math.sqrt(v / (1 - n.beta2**3)) + n.eps)
        assert update == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_momentum_shows_mu_and_a_change_shows_from_the_next_step(qtbot, window):
    _open(window, optimizer="momentum", momentum=0.5, learning_rate=0.1)
    _steps(qtbot, window, 3)
    view = window.optimizer_view
    assert "μ = 0.5" in view.values_label.text() and "lr = 0.1" in view.values_label.text()
    for b, update in zip(_column(view, "b"), _column(view, "update")):
        assert update == pytest.approx(-0.1 * b, rel=1e-12, abs=1e-15)
    window.training_panel.optimizer_fields.momentum_spin.setValue(0.75)  # while paused
    assert "μ = 0.5" in view.values_label.text()  # the step shown was made with 0.5
    _steps(qtbot, window, 1)
    assert "μ = 0.75" in view.values_label.text()
    assert "0.75·b + grad" in view.formula_label.text()


def test_formula_rows_without_numbers_show_the_symbols_only():
    assert formula_rows("sgd", None) == [("update =", "−lr·grad", "")]
    assert [row[0] for row in formula_rows("adam", None)] == ["m ←", "v ←", "m' =", "v' =", "update ="]

"""The learning-rate finder through the window: one click, a curve, a suggestion, the model untouched."""

from PySide6.QtCore import Qt

from engine.lessons import moons_demo

TIMEOUT_MS = 60_000


def test_the_finder_suggests_a_rate_applies_it_on_request_and_leaves_the_model_alone(window, qtbot):
    window.apply_session(moons_demo(learning_rate=0.01))
    weights_before = window._weights
    numbers_before = [list(layer.weight) for layer in weights_before.layers]
    with qtbot.waitSignal(window.rate_finder.finished, timeout=TIMEOUT_MS):
        qtbot.mouseClick(window.training_panel.find_rate_button, Qt.MouseButton.LeftButton)
        assert not window.training_panel.find_rate_button.isEnabled()  # one sweep at a time
    dialog = window.rate_sweep_dialog
    qtbot.waitUntil(dialog.isVisible)
    sweep = dialog.sweep
    assert len(sweep.rates) >= 10 and sweep.suggestion is not None
    assert dialog.rate is not None and f"{dialog.rate:g}" in dialog.use_button.text()
    # the model the window trains is the same, number for number
    assert window._weights is weights_before
    assert [list(layer.weight) for layer in window._weights.layers] == numbers_before
    assert window.state == "idle" and window.training_panel.find_rate_button.isEnabled()

    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    assert window.current_session().training.learning_rate == dialog.rate
    assert window.training_panel.learning_rate_spin.value() == dialog.rate


def test_closing_the_dialog_keeps_the_learning_rate(window, qtbot):
    window.apply_session(moons_demo(learning_rate=0.01))
    with qtbot.waitSignal(window.rate_finder.finished, timeout=TIMEOUT_MS):
        window.find_learning_rate()
    window.rate_sweep_dialog.reject()
    assert window.current_session().training.learning_rate == 0.01


def test_a_field_that_holds_bad_text_blocks_the_finder_as_it_blocks_train(window, qtbot):
    spin = window.training_panel.learning_rate_spin
    spin.lineEdit().setText("abc")
    spin.refresh_check()
    window.find_learning_rate()
    assert not window.rate_finder.running

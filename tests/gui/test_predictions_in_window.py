"""Predict, then see, in the window: guesses before backprop steps and training steps, scored by
what the engine did (recomputed here by the test), with the running hit rate."""

from __future__ import annotations

from PySide6.QtCore import Qt

from engine import graph as graph_engine
from engine.backprop import BackwardStepper
from engine.expression import evaluate
from engine.predictions import loss_outcome, sign_of

TIMEOUT_MS = 60_000
GUESSES = ("+", "-", "0")


def expected_signs(expression: str, variables: dict[str, float]) -> list[str]:
    """Before each step: the sign the subject (the first operand of the node whose rule runs, or that
    node itself if it has none) has right after that step, replayed on a graph the test builds."""
    root, leaves = evaluate(expression, variables)
    root.backward()
    graph = graph_engine.expression_graph(root, leaves)
    stepper = BackwardStepper(graph)
    signs = []
    while not stepper.done:
        node = stepper.order[stepper.position]
        subject = (graph.operands(node) or [node])[0]
        stepper.step()
        signs.append(sign_of(subject.value.grad))
    return signs


def test_guessed_signs_before_each_backprop_step_on_the_expression_tab(window, qtbot):
    view = window.expression_view
    window.tabs.setCurrentWidget(view)
    with qtbot.waitSignal(view.graph_shown, timeout=TIMEOUT_MS):
        view.set_example(0)  # L = (a·b + c)·f
    guess = view.step_guess
    truth = expected_signs("(a*b + c)*f", {"a": 2.0, "b": -3.0, "c": 10.0, "f": -2.0})
    hits = 0
    for i, actual in enumerate(truth):
        mine = GUESSES[i % 3]
        qtbot.mouseClick(guess.buttons[mine], Qt.MouseButton.LeftButton)
        assert guess.log.pending is not None and guess.log.pending.guess == mine
        with qtbot.waitSignal(guess.settled) as settled:
            qtbot.mouseClick(view.step_next_button, Qt.MouseButton.LeftButton)
        assert settled.args == [mine == actual]
        hits += mine == actual
        shown = "✓ hit" if mine == actual else "✗ miss"
        assert guess.result_label.text().startswith(shown)
    assert guess.log.hits == hits and len(guess.log.settled) == len(truth)
    assert guess.log.hit_rate == hits / len(truth)
    assert f"{hits} of {len(truth)} right ({round(100 * hits / len(truth))}%)" in guess.result_label.text()


def test_a_guess_is_withdrawn_when_its_step_does_not_come(window, qtbot):
    view = window.expression_view
    window.tabs.setCurrentWidget(view)
    with qtbot.waitSignal(view.graph_shown, timeout=TIMEOUT_MS):
        view.set_example(0)
    guess = view.step_guess
    qtbot.mouseClick(view.step_next_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(guess.buttons["+"], Qt.MouseButton.LeftButton)
    view.step_prev_button.click()  # back, not forward: that guess's step never ran
    assert guess.log.pending is None and guess.log.predictions == []


def test_a_guess_about_a_clicked_node_on_the_computation_graph_tab(window, qtbot):
    view = window.graph_view
    with qtbot.waitSignal(view.graph_shown, timeout=TIMEOUT_MS):
        window.tabs.setCurrentWidget(view)
    graph = view.current_graph()
    chosen = next(n for n in graph.nodes if n.name == "out")  # the network's output, before the loss
    canvas = view.canvas
    center = canvas.node_rect(chosen.id).center()
    canvas.centerOn(center)
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=canvas.mapFromScene(center))
    assert "grad of out" in view.step_guess.question_label.text()
    # the test's own replay of those steps, on a graph built from the same weights and sample
    x, y = view._dataset.inputs[0], view._dataset.targets[0]
    theirs = graph_engine.sample_graph(view._weights.to_model(), x, y, view._loss, expanded=False)
    stepper = BackwardStepper(theirs)
    hits = 0
    for mine in ("-", "+", "+", "0"):
        stepper.step()
        actual = sign_of(theirs.node(chosen.id).value.grad)
        qtbot.mouseClick(view.step_guess.buttons[mine], Qt.MouseButton.LeftButton)
        with qtbot.waitSignal(view.step_guess.settled):
            qtbot.mouseClick(view.step_next_button, Qt.MouseButton.LeftButton)
        hits += mine == actual
    log = view.step_guess.log
    assert [p.subject for p in log.settled] == ["out"] * 4
    assert log.hits == hits and log.hit_rate == hits / 4


def test_guessing_whether_the_loss_goes_down_at_each_training_step(window, qtbot):
    panel, guess = window.training_panel, window.training_panel.loss_guess

    def step() -> None:
        with qtbot.waitSignal(window.controller.halted, timeout=TIMEOUT_MS):
            qtbot.mouseClick(panel.step_button, Qt.MouseButton.LeftButton)

    qtbot.mouseClick(guess.buttons["down"], Qt.MouseButton.LeftButton)
    step()  # the run's first step: no loss before it, the guess waits for the next
    assert guess.log.pending is not None and "first step" in guess.result_label.text()
    step()
    guesses = ["down"]
    for mine in ("not down", "down", "down"):
        qtbot.mouseClick(guess.buttons[mine], Qt.MouseButton.LeftButton)
        step()
        guesses.append(mine)
    losses = [r.loss for r in window._history]
    assert len(losses) == 5
    actual = [loss_outcome(before, after) for before, after in zip(losses, losses[1:])]
    hits = sum(g == a for g, a in zip(guesses, actual))
    assert [p.actual for p in guess.log.settled] == actual
    assert guess.log.hits == hits
    assert f"{hits} of 4 right" in guess.result_label.text()


def test_the_default_subject_is_always_a_drawn_node(window, qtbot):
    """One node per neuron folds the weights into their neuron: a guess is never about one of those."""
    view = window.graph_view
    with qtbot.waitSignal(view.graph_shown, timeout=TIMEOUT_MS):
        window.tabs.setCurrentWidget(view)
    graph = view.current_graph()
    assert graph.fold_parameters
    subjects = []
    while not view.session.done:
        subject = view.step_guess.subject()
        subjects.append(subject)
        assert subject is None or graph.is_drawn(subject), subject.name
        assert (subject is None) == (not view.step_guess.buttons["+"].isEnabled())
        view.step_next_button.click()
    assert sum(s is not None for s in subjects) == sum(graph.is_drawn(n) for n in graph.nodes)

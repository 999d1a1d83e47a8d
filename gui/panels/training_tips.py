"""The Training panel's tooltips: what each setting does, in the lecture's words."""

from __future__ import annotations

from engine.losses import ALL_LOSSES

LOSS_NAMES = {
    "sse": "Squared error (lecture)",
    "mse": "Mean squared error",
    "hinge": "Hinge (micrograd demo)",
    "bce": "Binary cross-entropy",
    "ce": "Cross-entropy (softmax)",
}

LEARNING_RATE_TIP = (
    "<p>The step size of gradient descent: every step does "
    "<code>p.data += -learning_rate * p.grad</code> for every parameter.</p>"
    "<p>Too large and the step overshoots the minimum (the lecture shows this): the loss jumps "
    "around, and can blow up. Too small and training crawls. The lecture uses 0.05.</p>"
    "<p>Arrows and the mouse wheel multiply by about 1.26 (10 steps per decade), Page Up / Down by "
    "10; or type any value. A change applies from the next step, even while training.</p>"
)
DECAY_TIP = (
    "Lower the learning rate in a straight line over the run, from its full value at the first step "
    "to 10% of it at the last, as micrograd's demo does (1.0 - 0.9*k/100)."
)
STEPS_TIP = (
    "How many steps of gradient descent Train runs. Each step is the lecture's loop: forward pass, "
    "loss, zero_grad, backward, update."
)
BATCH_TIP = (
    "Samples per step. Full batch uses every sample at every step, as the lecture does. A smaller batch "
    "draws that many samples at random each step (stochastic gradient descent): cheaper, noisier."
)


def listed_tip(intro: str, items: dict[str, str]) -> str:
    """A tooltip: a paragraph, then one line per item, its name in bold."""
    return (
        f"<p>{intro}</p><p>" + "<br>".join(f"<b>{name}</b>: {text}" for name, text in items.items()) + "</p>"
    )


LOSS_TIP = listed_tip(
    "What gradient descent makes small: one number that says how far the predictions are from the targets. "
    "The choices fit the data: two classes, several classes (cross-entropy) or regression (squared errors).",
    {LOSS_NAMES.get(k, k): v for k, v in ALL_LOSSES.items()},
)
L2_TIP = (
    "Adds strength · Σ p² over all parameters to the loss, pulling the weights towards zero "
    "(regularisation). micrograd's demo uses 0.0001; 0 turns it off."
)
ZERO_GRAD_TIP = (
    "<p>Set every parameter's <code>.grad</code> to 0 before <code>loss.backward()</code>.</p>"
    "<p><code>backward</code> accumulates gradients (<code>+=</code>), so when this is off they pile up "
    "across steps: each update uses the sum of all past gradients instead of the current one. That is "
    "the bug Andrej made in the lecture, the one he had tweeted about in 2018.</p>"
    "<p>Turn it off and compare the loss curves.</p>"
)
COMPILED_TIP = (
    "<p>Trace one training step's scalar graph once, then replay it with NumPy, doing the "
    "scalar operations that do not depend on each other together as one array operation "
    "(a layer's neurons over all samples become one matrix product).</p>"
    "<p>Same losses and weights as the scalar engine's Value objects (to 1e-12), tens to hundreds of "
    "times faster: "
    "the lecture's point that tensors are only there for efficiency. Compare steps per second in "
    "the status bar. A network it cannot compile trains on the scalar engine, and the status bar says why.</p>"
)


# The lecture's step: learning rate 0.05 on its 4 samples of summed squared error (0.2 / samples)
LECTURE_SUMMED_STEP = 0.05 * 4
# Above this learning rate × samples, summed squared error overshoots into saturated tanh (the
# lecture's net, 100 steps): at 4 the lecture's data, 20 and 100 moons all end at 50 % with every
# output at ±1; at 2 all three learn (the lecture's 0.05 on 100 moons is 5)
MAX_SUMMED_STEP = 3.0


def summed_loss_warning(loss: str, samples: int, learning_rate: float) -> str:
    """A warning when the squared error summed over the samples makes this learning rate overshoot
    (its gradient grows with the sample count), or "". `samples`: those one step sums over (the
    training part after a test split, or a batch of them)."""
    if loss != "sse" or learning_rate * samples <= MAX_SUMMED_STEP:
        return ""
    mean_instead = ", or Mean squared error in Loss" if samples > 4 else ""
    return (
        f"⚠ Squared error adds up {samples} samples a step: a rate above about "
        f"{MAX_SUMMED_STEP / samples:.2g} overshoots. Try one near {LECTURE_SUMMED_STEP / samples:.2g}"
        f"{mean_instead}."
    )

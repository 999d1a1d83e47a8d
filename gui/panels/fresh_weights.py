"""Fresh weights of a large model, made ahead in a thread while its layer sizes are typed.

A network of 8 layers of 256 has 460,000 weights: making them (`ModelSpec.fresh_weights`,
the floats of NumPy's draws turned into Python lists) held the GUI thread for 20-30 ms
here, about 100 ms on a slow instance, at every reset. The Model panel asks for them as
soon as the sizes typed reach a large model (`prepare`, in a thread); the window takes
them (`fresh_weights`) when the typing pauses. The last ones made are kept, so Reset, or
new data with as many inputs, costs nothing either.

A change nobody could see coming (the seed, an activation, a preset or a CSV with other
inputs or outputs) asks with `ready`, which never waits: a large model's weights not made
yet are started in the thread, and `made` says when they are there; the window shows
them then (gui/window/view_updates.py). The thread makes them a row at a time
(`_made_in_slices`): `ModelSpec.fresh_weights` turns a whole layer into Python floats in one
call, 65,000 of them, holding the interpreter for milliseconds (tens on a loaded machine)
while the window waits; a row is 257 floats, and the thread lets the GUI thread in between.

`fresh_weights` is a pure function of the spec and the data's inputs and outputs: the
weights kept for them are the very numbers it would make again. Small models are made
on the spot (under a millisecond), as before.
"""

from __future__ import annotations

import random
import threading
import time

from PySide6.QtCore import QObject, Signal

from engine.features import extras_problem
from engine.spec import ModelSpec, SpecError
from engine.weights import LayerWeights, ModelWeights
from gui.widgets.latest_job import LatestJobThread

ROWS_PER_SLICE = 8  # rows made between two chances for the GUI thread to take the interpreter
KEPT_PARAMETERS = 5_000  # models with more parameters than this are made ahead and kept
WAIT_S = 5.0  # the longest wait for weights being made for the very model asked for (a safety net)


def _key(spec: ModelSpec, n_inputs: int, n_outputs: int) -> tuple:
    # repr: the spec's lists make it unhashable; every field that changes the weights is in it
    return repr(spec), n_inputs, n_outputs


def is_large(spec: ModelSpec, n_inputs: int, n_outputs: int) -> bool:
    """Whether this model's fresh weights are made in the thread and kept (else on the spot)."""
    try:
        return spec.parameter_count(n_inputs, n_outputs) > KEPT_PARAMETERS
    except Exception:  # a spec that cannot be built: fresh_weights says why, on the spot
        return False


def _made_in_slices(spec: ModelSpec, n_inputs: int, n_outputs: int) -> ModelWeights:
    """`spec.fresh_weights(n_inputs, n_outputs)`, number for number, for a thread to make.

    The same draws as engine/nn.py's `initial_weights` (its Mersenne Twister continued in
    NumPy, `-1 + 2u` each, layer by layer, a neuron's weights then its bias), turned into floats
    a row at a time, with a pause for the GUI thread every ROWS_PER_SLICE rows. Tests compare
    them bit for bit with `spec.fresh_weights`.
    """
    import numpy as np  # only here, as in initial_weights: the thread runs in the window, which has it

    spec.validate()
    if problem := extras_problem(spec.extra_inputs, n_inputs):
        raise SpecError(problem)
    sizes = [spec.network_inputs(n_inputs), *spec.layer_sizes(n_outputs)]
    count = sum((sizes[i] + 1) * sizes[i + 1] for i in range(len(sizes) - 1))
    _, mt_state, _ = random.Random(spec.seed).getstate()
    generator = np.random.RandomState()
    generator.set_state(("MT19937", np.array(mt_state[:-1], dtype=np.uint32), mt_state[-1]))
    draws = -1.0 + 2.0 * generator.random_sample(count)  # NumPy lets go of the interpreter here
    layers, at = [], 0
    for activation, layer_in, layer_out in zip(spec.activations, sizes, sizes[1:]):
        block = draws[at : at + layer_out * (layer_in + 1)].reshape(layer_out, layer_in + 1)
        rows = []
        for start in range(0, layer_out, ROWS_PER_SLICE):
            rows.extend(block[start : start + ROWS_PER_SLICE, :layer_in].tolist())
            time.sleep(0)  # lets the interpreter go: a waiting GUI thread takes it now
        layers.append(LayerWeights(activation, rows, block[:, layer_in].tolist()))
        at += block.size
    return ModelWeights(sizes[0], layers)


def _shared(weights: ModelWeights) -> ModelWeights:
    """The kept weights for one more owner: the rows are shared, as `with_parameter` shares them
    (nobody changes a weight in place); the containers around them are its own."""
    return ModelWeights(weights.inputs, list(weights.layers), dict(weights.metadata))


class FreshWeights(QObject):
    """The weights `ModelSpec.fresh_weights` makes, for large models made ahead in a thread and kept."""

    # A job of the thread ended (made, or failed): whoever waits for weights asks `ready` again.
    # Emitted in the thread; a window's slot runs in the GUI thread (a queued connection).
    made = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._done = threading.Condition()
        self._kept: tuple[tuple, ModelWeights] | None = None
        self._pending: tuple | None = None  # the key of the newest job asked for, until it is done
        self._running: tuple | None = None  # the key of the job the thread is making now
        self._failed: tuple | None = None  # the key of the last job that could not make its weights
        self._jobs = LatestJobThread(self._store, "fresh weights")

    def prepare(self, spec: ModelSpec, n_inputs: int, n_outputs: int) -> None:
        """Start making the weights of a large model in a thread (nothing for a small one)."""
        if not is_large(spec, n_inputs, n_outputs):
            return
        key = _key(spec, n_inputs, n_outputs)
        with self._done:
            if self._pending == key or (self._kept is not None and self._kept[0] == key):
                return
            self._pending = key

        def job() -> tuple[tuple, ModelWeights | None]:
            with self._done:
                if self._kept is not None and self._kept[0] == key:
                    return self._kept  # made meanwhile by a reader that could not wait
                self._running = key
            try:
                return key, _made_in_slices(spec, n_inputs, n_outputs)
            except Exception:  # a spec that cannot be built: whoever asks gets the error on the spot
                return key, None

        self._jobs.submit(job)

    def ready(self, spec: ModelSpec, n_inputs: int, n_outputs: int) -> ModelWeights | None:
        """`spec.fresh_weights(n_inputs, n_outputs)` if it costs no wait: a small model's (made now)
        or a large one's already made. Else None, and a large model's are being made in the
        thread (`made` follows); a spec the thread could not build raises here, as it is made again."""
        if not is_large(spec, n_inputs, n_outputs):
            return spec.fresh_weights(n_inputs, n_outputs)
        key = _key(spec, n_inputs, n_outputs)
        with self._done:
            if self._kept is not None and self._kept[0] == key:
                return _shared(self._kept[1])
            failed = key == self._failed
        if failed:  # the thread could not make them: say why, as making them here does
            return self.fresh_weights(spec, n_inputs, n_outputs)
        self.prepare(spec, n_inputs, n_outputs)  # nothing if it is being made already
        return None

    def fresh_weights(self, spec: ModelSpec, n_inputs: int, n_outputs: int) -> ModelWeights:
        """`spec.fresh_weights(n_inputs, n_outputs)`: kept or being made in the thread, else made now."""
        if not is_large(spec, n_inputs, n_outputs):
            return spec.fresh_weights(n_inputs, n_outputs)
        key = _key(spec, n_inputs, n_outputs)
        with self._done:
            # Being made now, or next: almost done, no need to start over. Queued behind a job that
            # nobody wants any more (a seed typed over, say): made here rather than waiting for it.
            self._done.wait_for(lambda: self._pending != key or self._running not in (None, key), WAIT_S)
            if self._kept is not None and self._kept[0] == key:
                return _shared(self._kept[1])
        weights = spec.fresh_weights(n_inputs, n_outputs)
        with self._done:
            self._kept = key, weights
        return _shared(weights)

    def _store(self, result: tuple[tuple, ModelWeights | None]) -> None:
        """In the thread: keep what the job made."""
        key, weights = result
        with self._done:
            if weights is not None:
                self._kept = key, weights
            self._failed = key if weights is None else None
            if self._pending == key:
                self._pending = None
            if self._running == key:
                self._running = None
            self._done.notify_all()
        self.made.emit()


# One for the app: the weights depend only on what they are made for, whichever window asks.
FRESH_WEIGHTS = FreshWeights()

"""The big files bench_freeze.py opens: the largest a user can make, and hostile ones just under the caps.

legit_session        8 x 256 with Adam's state and the longest history that stays under 50 MB
hostile_session      just under every cap of a session file (bytes, values, lists), refused
big_weights          near 2,000,000 parameters (4,096 inputs), for another network than the window's
largest_model_weights  the 8 x 256 network on the moons' 2 inputs, which the window takes

and `big_file_actions`, bench_freeze.py's rows that open them in the window.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING

from probe import Row, wait

from engine import session as session_io
from engine import weights as weights_io
from engine.data import moons
from engine.run_state import RunState
from engine.session import Session, SessionError, save_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec
from engine.train import StepResult
from engine.weights import LayerWeights, ModelWeights, save_json

if TYPE_CHECKING:
    from probe import Probe

    from gui.window.main_window import MainWindow

LARGEST_SPEC = ModelSpec([256] * 8, ["tanh"] * 8, "tanh", seed=0)


def legit_session(path: Path, steps: int = 44_000) -> Path:
    """The largest model, Adam's m and v, and a history as long as fits in the file's 50 MB."""
    rng = random.Random(1)
    weights = LARGEST_SPEC.fresh_weights(2)
    n = LARGEST_SPEC.parameter_count(2)
    state = {
        "t": 0,
        "m": [rng.gauss(0, 1e-3) for _ in range(n)],
        "v": [rng.random() * 1e-6 for _ in range(n)],
    }
    sampler = tuple(random.Random(0).getstate()[1])
    while True:
        history = [
            StepResult(
                i, rng.random(), rng.random(), 0.01, rng.random() * 3, tuple(rng.random() for _ in range(9))
            )
            for i in range(1, steps + 1)
        ]
        run_state = RunState(steps, "adam", {**state, "t": steps}, sampler)
        settings = TrainSettings(optimizer="adam", learning_rate=0.01, steps=100_000)
        session = Session(moons(2_000, 0.1, 0), LARGEST_SPEC, settings, weights, history, run_state=run_state)
        try:
            save_session(session, path)
            return path
        except SessionError:  # over 50 MB: a shorter history
            steps -= 2_000


def hostile_session(path: Path) -> Path:
    """A session's header, then as many lists, numbers and bytes as its caps let through the
    count before parsing (the costliest mix per byte), and no dataset: parsed whole, then refused."""
    max_bytes = session_io.MAX_FILE_BYTES - 1_000
    values = session_io.MAX_JSON_VALUES - 1_000
    lists = session_io.MAX_JSON_CONTAINERS - 1_000
    left = max_bytes - 4 * lists
    values -= lists
    floats = max(0, (left - 2 * values) // 18)  # "0.12345678901234567," is 20 bytes, "0," 2
    zeros = values - floats
    head = '{"format": "micrograd-studio/session", "version": 1, "lists": ['
    body = "[0]," * (lists - 1) + '[0]], "floats": [' + "0.12345678901234567," * floats
    path.write_text(head + body + "0," * (zeros - 1) + "0]}")
    return path


def big_weights(path: Path) -> Path:
    """4,096 inputs and a layer of 480 neurons: 1,966,560 weights and biases, ~40 MB."""
    rng = random.Random(2)
    inputs, neurons = weights_io.MAX_NEURONS, 480
    layers = [
        LayerWeights(
            "tanh", [[rng.uniform(-1, 1) for _ in range(inputs)] for _ in range(neurons)], [0.0] * neurons
        ),
        LayerWeights("linear", [[rng.uniform(-1, 1) for _ in range(neurons)]], [0.0]),
    ]
    save_json(ModelWeights(inputs, layers), path)
    return path


def largest_model_weights(path: Path) -> Path:
    """The 8 x 256 network on 2 inputs (461,569 parameters, ~9 MB): the window takes it."""
    weights = LARGEST_SPEC.fresh_weights(2)
    weights.metadata = {"input_names": ["x1", "x2"]}
    save_json(weights, path)
    return path


def wide_csv(path: Path, rows: int = 2_000, inputs: int = 499) -> Path:
    """As many rows as the Data panel takes, as wide as a dataset's million values allow."""
    rng = random.Random(3)
    lines = [",".join([*(f"x{i}" for i in range(1, inputs + 1)), "y"])]
    for _ in range(rows):
        lines.append(
            ",".join(f"{rng.uniform(-1, 1):.17f}" for _ in range(inputs)) + f",{rng.choice((-1, 1))}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def big_file_actions(probe: Probe, window: MainWindow, folder: Path, session: Session) -> list[Row]:
    """Big and hostile files opened from the File menu's actions (files over 256 KB: a child reads them),
    in a window showing `session` (bench_freeze.py's moons demo) on its Loss tab."""
    from PySide6.QtWidgets import QMessageBox

    paths = {
        "hostile": hostile_session(folder / "hostile.json"),
        "weights": big_weights(folder / "big-weights.json"),
        "legit": legit_session(folder / "legit.json"),
        "largest": largest_model_weights(folder / "w-8x256.json"),
        "csv": wide_csv(folder / "wide.csv"),
    }
    mb = {name: f"{path.stat().st_size / 1e6:.0f} MB" for name, path in paths.items()}
    window.tabs.setCurrentWidget(window.loss_plot)
    window.apply_session(session)
    wait(500)

    def file_row(action: str, act) -> Row:
        result: list[bool] = []
        delays, seconds = probe.measure(lambda: result.append(act()), lambda: bool(result))
        note = "done" if result[0] else f"refused: {window.last_error[:40]}"
        for box in window.findChildren(QMessageBox):
            box.close()
        return Row(action, delays, seconds, note)

    return [
        file_row(
            f"import a CSV of 2,000 rows x 499 inputs ({mb['csv']})", lambda: window.import_csv(paths["csv"])
        ),
        file_row(
            f"open a hostile session under the caps ({mb['hostile']})",
            lambda: window.open_session(paths["hostile"]),
        ),
        file_row(
            f"import weights of 1,966,561 parameters ({mb['weights']})",
            lambda: window.import_weights(paths["weights"]),
        ),
        file_row(
            f"open a session of 8 x 256, Adam, history ({mb['legit']})",
            lambda: window.open_session(paths["legit"]),
        ),
        file_row(
            f"  import 8 x 256 weights into it ({mb['largest']})",
            lambda: window.import_weights(paths["largest"]),
        ),
    ]

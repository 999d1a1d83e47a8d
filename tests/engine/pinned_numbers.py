"""A fingerprint of the engine's numbers: data, grads and losses of training runs and random graphs."""

import hashlib
import random

from engine import MLP, Value
from engine.data import lecture, moons
from engine.settings import TrainSettings
from engine.train import Trainer


def _apply(op: str, a: Value, b: Value) -> Value:
    if op == "+":
        return a + b
    if op == "*":
        return a * b
    if op == "exp":
        return (a * 0.3).exp()
    if op == "pow":
        return (a * a + 1) ** 0.5
    return getattr(a, op)()


def fingerprint() -> dict:
    out = {}
    runs = {
        "lecture": (MLP(3, [4, 4, 1], seed=0), lecture(), TrainSettings(steps=20)),
        "moons": (
            MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0),
            moons(100, 0.1, 0),
            TrainSettings(learning_rate=0.1, loss="hinge", l2=1e-4, steps=20),
        ),
        "moons_no_zero_grad": (
            MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0),
            moons(100, 0.1, 0),
            TrainSettings(learning_rate=0.1, loss="hinge", l2=1e-4, steps=20, zero_grad=False),
        ),
        "sigmoid_bce": (
            MLP(2, [8, 1], activation="sigmoid", output_activation="linear", seed=3),
            moons(40, 0.2, 1),
            TrainSettings(learning_rate=0.5, loss="bce", steps=20),
        ),
    }
    for name, (model, data, settings) in runs.items():
        trainer = Trainer(model, data, settings)
        trainer.run()
        numbers = [x for p in model.parameters() for x in (p.data, p.grad)] + [
            r.loss for r in trainer.history
        ]
        out[name] = hashlib.sha256(" ".join(float(x).hex() for x in numbers).encode()).hexdigest()[:16]
    # random expressions: data and grads of every node
    rng = random.Random(7)
    numbers = []
    for _ in range(200):
        leaves = [Value(rng.uniform(-2, 2)) for _ in range(4)]
        nodes = list(leaves)
        for _ in range(12):
            a, b = rng.choice(nodes), rng.choice(nodes)
            op = rng.choice(["+", "*", "tanh", "relu", "sigmoid", "exp", "pow"])
            nodes.append(_apply(op, a, b))
        root = sum(nodes[4:], nodes[0])
        root.backward()
        numbers += [x for n in nodes for x in (n.data, n.grad)]
    out["random_graphs"] = hashlib.sha256(" ".join(float(x).hex() for x in numbers).encode()).hexdigest()[:16]
    return out

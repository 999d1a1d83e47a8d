"""The command line: `micrograd-studio --help` and headless `micrograd-studio train`."""

import pytest

from engine.cli import train_main
from engine.data import moons
from engine.weights import load_json, load_npz


def moons_args(samples: int, steps: int) -> list[str]:
    """`train` on moons with an 8-neuron ReLU layer, a linear output and the hinge loss."""
    return [
        *("--preset", "moons", "--samples", str(samples), "--layers", "8", "--activation", "relu"),
        *(
            "--output-activation",
            "linear",
            "--loss",
            "hinge",
            "--lr",
            "0.5",
            "--steps",
            str(steps),
            "--quiet",
        ),
    ]


def test_train_writes_weights_that_predict_like_training_left_them(tmp_path, capsys):
    out = tmp_path / "moons.json"
    args = moons_args(samples=60, steps=40)
    assert train_main([*args, "--out", str(out)]) == 0
    weights = load_json(out)
    assert weights.sizes == [8, 1] and weights.activations == ["relu", "linear"]
    assert weights.metadata["steps_trained"] == 40
    data = moons(60, 0.1, 0)
    correct = sum((weights.predict(x) > 0) == (y > 0) for x, y in zip(data.inputs, data.targets))
    assert correct / len(data) > 0.8
    assert "final loss" in capsys.readouterr().out
    # the same run again gives the same weights, bit for bit
    again = tmp_path / "again.npz"
    assert train_main([*args, "--out", str(again)]) == 0
    assert load_npz(again).to_dict()["layers"] == weights.to_dict()["layers"]


def test_train_refuses_bad_input_with_a_message(tmp_path, capsys):
    assert train_main(["--layers", "4,,x", "--out", str(tmp_path / "w.json")]) == 2
    assert "Hidden layers: “4,,x” has an empty size" in capsys.readouterr().err
    assert train_main(["--out", str(tmp_path / "w.txt")]) == 2
    assert ".json, .npz or .pt" in capsys.readouterr().err
    bad_csv = tmp_path / "bad.csv"
    bad_csv.write_text("x1,x2,y\n1,2,1\n3,abc,-1\n")
    assert train_main(["--csv", str(bad_csv), "--out", str(tmp_path / "w.json")]) == 2
    assert "'abc' is not a number" in capsys.readouterr().err
    assert not (tmp_path / "w.json").exists()


def test_train_reports_divergence(tmp_path, capsys):
    code = train_main(
        [
            "--preset",
            "moons",
            "--layers",
            "16,16",
            "--activation",
            "relu",
            "--output-activation",
            "linear",
            "--loss",
            "mse",
            "--lr",
            "50",
            "--quiet",
            "--out",
            str(tmp_path / "w.json"),
        ]
    )
    assert code == 1
    assert "diverged at step" in capsys.readouterr().err
    assert not (tmp_path / "w.json").exists()


def test_train_compiled_gives_the_plain_result(tmp_path, capsys):
    args = moons_args(samples=50, steps=25)
    assert train_main([*args, "--out", str(tmp_path / "plain.json")]) == 0
    assert train_main([*args, "--compiled", "--out", str(tmp_path / "compiled.json")]) == 0
    assert "array ops" in capsys.readouterr().err
    plain, compiled = load_json(tmp_path / "plain.json"), load_json(tmp_path / "compiled.json")
    assert plain.sizes == compiled.sizes == [8, 1]
    for a, b in zip(plain.layers, compiled.layers, strict=True):
        assert len(a.weight) == len(b.weight) and len(a.bias) == len(b.bias)
        for row_a, row_b in zip(a.weight, b.weight, strict=True):
            assert row_a == pytest.approx(row_b, rel=1e-12, abs=1e-12)
        assert a.bias == pytest.approx(b.bias, rel=1e-12, abs=1e-12)
    assert compiled.metadata["final_loss"] == pytest.approx(plain.metadata["final_loss"], rel=1e-12)


def test_train_refuses_hostile_inputs_with_plain_messages(tmp_path, capsys):
    bad_session = tmp_path / "bad.json"
    bad_session.write_text('{"format": "micrograd-studio/session", "version": 1, "version": 1}')
    cases = [
        (["--session", str(bad_session)], "bad.json is not usable: the key 'version' appears twice"),
        (["--session", str(tmp_path)], "it is a folder, not a file"),
        (["--csv", str(tmp_path / "missing.csv")], "cannot read missing.csv: there is no such file"),
        (["--lr", "1e6"], "the learning rate must be a number from 1e-05 to 100, not 1000000.0"),
        (["--steps", "200000"], "the number of steps must be a whole number from 1 to 100,000"),
        (["--layers", "4, ²"], "layer 2: “²” is not a whole number"),
        (["--preset", "moons", "--data-seed", "-5"], "the data seed must be a whole number from 0 to 99,999"),
    ]
    for args, message in cases:
        assert train_main([*args, "--quiet", "--out", str(tmp_path / "w.json")]) == 2, args
        err = capsys.readouterr().err
        assert message in err, (args, err)
        assert "Traceback" not in err and "Errno" not in err
    assert not (tmp_path / "w.json").exists()


def test_train_says_plainly_when_it_cannot_write_the_weights(tmp_path, capsys):
    out = tmp_path / "no-such-folder" / "w.json"
    assert train_main(["--steps", "2", "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {out}: its folder does not exist" in err and "Errno" not in err

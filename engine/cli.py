"""`micrograd-studio train`: the app's training, without a window, for scripts and checks.

Uses exactly the engine the window uses (no Qt is imported), prints a progress
bar, and writes a weights file whose format follows its suffix.
"""

from __future__ import annotations

import argparse
import sys
import time

from engine import weights as weights_io
from engine.data import DataError, Dataset, make_preset, read_csv
from engine.features import EXTRA_INPUTS
from engine.files import describe_os_error
from engine.losses import ALL_LOSSES
from engine.nn import ACTIVATIONS
from engine.optim import OPTIMIZERS
from engine.problem_presets import ALL_PRESETS, CLASS_COUNT_RANGE
from engine.run_setup import build_trainer
from engine.session import SessionError, load_session
from engine.settings import TrainSettings
from engine.spec import ModelSpec, SpecError, parse_layer_sizes
from engine.split import TestSplit
from engine.tasks import LOSSES_FOR_TASK, TASKS, default_loss
from engine.train import Trainer
from engine.weights import ModelWeights, WeightsError

EPILOG = """\
examples:
  micrograd-studio train --out lecture.json
  micrograd-studio train --preset moons --layers 16,16 --activation relu --output-activation linear \\
      --loss hinge --l2 1e-4 --lr 1.0 --decay --steps 100 --out moons.npz
  micrograd-studio train --preset spiral --layers 16,16 --optimizer adam --lr 0.01 --out spiral.json
  micrograd-studio train --session demo.json --steps 500 --out demo.pt
  micrograd-studio train --preset arms --classes 3 --layers 16,16 --output-activation linear \
      --lr 0.5 --steps 300 --out arms.json            (several classes: loss ce)
  micrograd-studio train --preset sine --layers 16 --output-activation linear --loss mse --out sine.npz

The weights file's format follows its suffix: .json (documented in the README),
.npz (NumPy) or .pt (a PyTorch state_dict; needs torch).
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="micrograd-studio train",
        description="Train an MLP on the scalar engine and write its weights.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = p.add_argument_group("data (default: the lecture's 4 samples)")
    data.add_argument("--session", help="take data, model and settings from a session file; flags override")
    data.add_argument("--preset", choices=list(ALL_PRESETS), help="a built-in dataset")
    data.add_argument("--csv", help="a CSV file: header row, input columns, target column last")
    data.add_argument(
        "--task",
        choices=list(TASKS),
        help="what a CSV's targets are (default: detected: all +1/-1 is binary; whole numbers "
        "0..k-1 with k >= 3, each used, is classes; anything else is regression)",
    )
    low, high = CLASS_COUNT_RANGE
    data.add_argument(
        "--classes", type=int, default=3, help=f"classes for arms/kblobs ({low} to {high}; default 3)"
    )
    data.add_argument("--samples", type=int, default=100, help="samples for a preset (default 100)")
    data.add_argument("--noise", type=float, default=0.1, help="noise for a preset (default 0.1)")
    data.add_argument("--data-seed", type=int, default=0, help="seed for a preset (default 0)")
    data.add_argument(
        "--test-fraction",
        type=float,
        help="hold out this fraction of the samples as a test set, never trained on (default 0: none)",
    )
    data.add_argument("--test-seed", type=int, help="seed that picks the test samples (default 0)")
    model = p.add_argument_group("model (default: the lecture's MLP(3, [4, 4, 1]) with tanh)")
    model.add_argument("--layers", help='hidden layer sizes, e.g. "16,16"')
    model.add_argument("--activation", choices=ACTIVATIONS, help="hidden layers' activation")
    model.add_argument("--output-activation", choices=ACTIVATIONS, help="the output's activation")
    model.add_argument("--seed", type=int, help="weight-init seed")
    model.add_argument(
        "--extra-inputs",
        help=f'engineered inputs for 2-D data, e.g. "x1^2,x2^2" (from: {", ".join(EXTRA_INPUTS)}; "" for none)',
    )
    train = p.add_argument_group("training")
    train.add_argument("--lr", type=float, help="learning rate (default 0.05)")
    train.add_argument("--decay", action="store_true", default=None, help="decay the rate linearly to 10%%")
    train.add_argument("--steps", type=int, help="steps of gradient descent (default 100)")
    train.add_argument("--batch-size", type=int, help="samples per step; 0 = all (default)")
    train.add_argument(
        "--loss",
        choices=list(ALL_LOSSES),
        help="loss function (default sse, the lecture's; ce for several classes, mse for regression)",
    )
    train.add_argument("--l2", type=float, help="L2 regularisation strength (default 0)")
    train.add_argument(
        "--no-zero-grad",
        action="store_true",
        default=None,
        help="skip zero_grad: gradients accumulate (the bug)",
    )
    train.add_argument(
        "--compiled", action="store_true", default=None, help="replay the traced step vectorised with NumPy"
    )
    optimizer = p.add_argument_group("optimizer (default: sgd, the lecture's p -= lr * grad)")
    optimizer.add_argument("--optimizer", choices=list(OPTIMIZERS), help="how grads become updates")
    optimizer.add_argument("--momentum", type=float, help="momentum's mu, from 0 to 0.999 (default 0.9)")
    optimizer.add_argument("--beta1", type=float, help="Adam's beta1, from 0 to 0.9999 (default 0.9)")
    optimizer.add_argument("--beta2", type=float, help="Adam's beta2, from 0 to 0.9999 (default 0.999)")
    optimizer.add_argument("--eps", type=float, help="Adam's epsilon, from 1e-12 to 1 (default 1e-8)")
    p.add_argument("--out", required=True, help="weights file to write (.json, .npz or .pt)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


_last_drawn = [0.0]


def _progress(result, total: int, started: float) -> None:
    now = time.perf_counter()
    if result.step != total and now - _last_drawn[0] < 0.1:  # redraw ten times a second at most
        return
    _last_drawn[0] = now
    width = 30
    done = int(width * result.step / total)
    acc = _metric_text(result)
    rate = result.step / max(time.perf_counter() - started, 1e-9)
    bar = "#" * done + "." * (width - done)
    test = f" test loss {result.test_loss:.5g}" if result.test_loss is not None else ""
    sys.stderr.write(
        f"\r[{bar}] {result.step}/{total} loss {result.loss:.5g}{acc}{test} ({rate:.0f} steps/s)"
    )
    sys.stderr.flush()


SAVERS = {".json": weights_io.save_json, ".npz": weights_io.save_npz, ".pt": weights_io.save_torch}


def train_main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    suffix = args.out[args.out.rfind(".") :] if "." in args.out else ""
    if suffix not in SAVERS:
        print(f"error: --out must end in .json, .npz or .pt, got {args.out!r}", file=sys.stderr)
        return 2
    try:
        trainer, spec = _trainer_from(args)
    except (DataError, SpecError, SessionError, WeightsError, ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    dataset, settings = trainer.dataset, trainer.settings
    n_raw = dataset.n_inputs - len(spec.extra_inputs)
    held = f", {len(trainer.test_set)} held out for testing" if trainer.test_set is not None else ""
    print(
        f"training {spec.describe(n_raw, dataset.n_outputs)} on {dataset.name} "
        f"({len(dataset)} samples{held}; {TASKS[dataset.task]})",
        file=sys.stderr,
    )
    started = time.perf_counter()
    trainer.run(None if args.quiet else lambda r: _progress(r, settings.steps, started))
    if not args.quiet:
        sys.stderr.write("\n")
    if settings.compiled:
        summary = trainer.compile_summary
        how = f"{summary.scalar_ops:,} scalar ops as {summary.array_ops} array ops" if summary else ""
        print(f"compiled mode: {how or trainer.compiled_reason}", file=sys.stderr)
    if trainer.diverged:
        print(f"error: {trainer.diverged}", file=sys.stderr)
        return 1
    return _write_weights(trainer, spec, args.out, suffix)


def _trainer_from(args: argparse.Namespace) -> tuple[Trainer, ModelSpec]:
    """The session or preset the arguments name, with their overrides, ready to train."""
    weights, split, session = None, TestSplit(), None
    if args.session:
        session = load_session(args.session)
        dataset, spec, settings, weights = session.dataset, session.model, session.training, session.weights
        split = session.split
    else:
        dataset, spec, settings = make_preset("lecture"), ModelSpec(), TrainSettings()
    if args.csv:
        dataset = read_csv(args.csv, task=args.task)
    elif args.preset:
        dataset = make_preset(args.preset, args.samples, args.noise, args.data_seed, args.classes)
    if args.task and not args.csv:
        raise DataError("--task says what a CSV's targets are; use it with --csv")
    if args.loss is None:  # not asked for: a session's if it fits the data, else the task's own
        settings.loss = _unasked_loss(args, dataset, settings.loss)
    _override_model(spec, args)
    overrides = {
        "learning_rate": args.lr,
        "decay": args.decay,
        "steps": args.steps,
        "batch_size": args.batch_size,
        "loss": args.loss,
        "l2": args.l2,
        "zero_grad": False if args.no_zero_grad else None,
        "compiled": args.compiled,
        "optimizer": args.optimizer,
        "momentum": args.momentum,
        "beta1": args.beta1,
        "beta2": args.beta2,
        "eps": args.eps,
    }
    for name, value in overrides.items():
        if value is not None:
            setattr(settings, name, value)
    _override_split(split, args)
    problem = weights is not None and spec.weights_problem(weights, dataset.n_inputs, dataset.n_outputs)
    if problem:
        raise SpecError(f"the session's weights do not fit this model and data: {problem}")
    trainer = build_trainer(spec, dataset, settings, split, weights)
    if session is not None and session.run_state is not None and not _starts_over(args):
        trainer.continue_run(session.history, session.run_state)  # as if it had never stopped
        print(f"continuing the saved run after step {trainer.step_count}", file=sys.stderr)
    return trainer, spec


# Flags that change the data, the test split or the model: the run starts over from the
# session's weights (as the window does) instead of going on with its optimizer's state.
STARTS_OVER = (
    "preset",
    "csv",
    "test_fraction",
    "test_seed",
    "layers",
    "activation",
    "output_activation",
    "seed",
    "extra_inputs",
)


def _starts_over(args: argparse.Namespace) -> bool:
    return any(getattr(args, name) is not None for name in STARTS_OVER)


def _unasked_loss(args: argparse.Namespace, dataset: Dataset, loss: str) -> str:
    fresh = not args.session and dataset.task != "binary"  # sse, the lecture's default, is for 4 samples
    return LOSSES_FOR_TASK[dataset.task][0] if fresh else default_loss(dataset.task, loss)


def _override_split(split: TestSplit, args: argparse.Namespace) -> None:
    if args.test_fraction is not None:
        split.fraction = args.test_fraction
    if args.test_seed is not None:
        split.seed = args.test_seed


def _override_model(spec: ModelSpec, args: argparse.Namespace) -> None:
    if args.layers is not None:
        sizes = parse_layer_sizes(args.layers)
        spec.hidden_sizes = sizes
        spec.hidden_activations = [args.activation or "tanh"] * len(sizes)
    if args.activation:
        spec.hidden_activations = [args.activation] * len(spec.hidden_sizes)
    if args.output_activation:
        spec.output_activation = args.output_activation
    if args.seed is not None:
        spec.seed = args.seed
    if args.extra_inputs is not None:
        spec.extra_inputs = [name.strip() for name in args.extra_inputs.split(",") if name.strip()]


def _write_weights(trainer: Trainer, spec: ModelSpec, path: str, suffix: str) -> int:
    last = trainer.history[-1]
    metadata = {
        "steps_trained": last.step,
        "final_loss": last.loss,
        "loss": trainer.settings.loss,
        "dataset": trainer.dataset.name,
        "input_names": spec.input_names(trainer.dataset.n_inputs - len(spec.extra_inputs)),
        "task": trainer.dataset.task,
    }
    if last.test_loss is not None:
        metadata["final_test_loss"] = last.test_loss
    try:
        SAVERS[suffix](ModelWeights.from_model(trainer.model, metadata), path)
    except OSError as exc:
        print(f"error: {describe_os_error(exc, path, 'write')}", file=sys.stderr)
        return 2
    except (WeightsError, ImportError) as exc:
        print(f"error: could not write {path}: {exc}", file=sys.stderr)
        return 2
    acc = _metric_text(last).replace(" acc ", ", accuracy ").replace(" R^2 ", ", R^2 ")
    if last.test_loss is not None:
        acc += f"; test loss {last.test_loss:.6g}"
        acc += f", test accuracy {last.test_accuracy:.0%}" if last.test_accuracy is not None else ""
    print(f"final loss {last.loss:.6g}{acc}; wrote {path}")
    return 0


def _metric_text(result) -> str:
    """ " acc 97%" for classes, " R^2 0.981" for regression, "" when neither is known."""
    if result.accuracy is not None:
        return f" acc {result.accuracy:.0%}"
    return f" R^2 {result.r2:.3f}" if getattr(result, "r2", None) is not None else ""

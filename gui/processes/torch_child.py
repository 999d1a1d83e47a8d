"""The PyTorch child of gui/processes/torch_process.py: imports torch and answers comparisons (no Qt here).

Run as `python -m gui.processes.torch_child` by `TorchComparer`; see gui/processes/torch_process.py for the protocol.
"""

from __future__ import annotations

from collections.abc import Sequence

from gui.processes.child_process import Receive, Send, child_main, picklable

LOAD, COMPUTE = "load", "compute"  # why an answer has no result: torch did not load, or could not compute


def _compute(kind: str, args: Sequence) -> object:
    if kind == "grads":
        from engine.weights import torch_parameter_grads

        return torch_parameter_grads(*args)
    if kind == "expression":
        from engine.expression import to_torch

        return to_torch(*args)
    if kind == "save":
        from engine.weights import save_torch

        weights, path = args
        save_torch(weights, path)
        return path
    raise ValueError(f"unknown request {kind!r}")


def serve(receive: Receive, send: Send) -> None:
    """Import torch, say whether that worked, then answer every request until the pipe closes."""
    try:
        import torch  # noqa: F401 (the point: imported here, in the child)
    except Exception as exc:
        load_error = f"PyTorch could not be loaded ({exc})"
    else:
        load_error = ""
    send(("ready", not load_error, load_error))
    while (command := receive()) is not None:
        kind, request_id, *args = command
        if load_error:
            send(("answer", request_id, None, LOAD, load_error))
            continue
        try:
            result = _compute(kind, args)
        except Exception as exc:
            # a file that could not be written: the parent words the error itself (describe_file_error)
            error = exc if kind == "save" and picklable(exc) else None
            send(("answer", request_id, error, COMPUTE, str(exc) or type(exc).__name__))
        else:
            send(("answer", request_id, result, "", ""))


if __name__ == "__main__":
    child_main(serve)

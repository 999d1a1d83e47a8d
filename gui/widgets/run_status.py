"""The training state in words: one wording for the status bar and the Training panel.

An opened session saved mid-run is idle to the trainer (nothing runs yet), but to the user it
is a run that stopped at step N: both places call it "Saved run", never "Idle".
"""

from __future__ import annotations

SAVED_RUN = "Saved run"


def state_title(state: str, saved_run: bool) -> str:
    """ "Training", "Paused"... or "Saved run" for an opened run that has not gone on yet."""
    return SAVED_RUN if state == "idle" and saved_run else state.capitalize()


def saved_run_line(step: int, total: int) -> str:
    """Where an opened run stands and what goes on with it."""
    if step >= total:
        return f"{SAVED_RUN}: step {step} of {total}, all its steps — raise Steps to go on, or Reset"
    return f"{SAVED_RUN}: step {step} of {total} — Resume to go on"

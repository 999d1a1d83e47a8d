"""Shared test setup. Qt must find the offscreen platform before any QApplication exists."""

import os

import pytest

pytest_plugins = ["pytester"]  # tests/test_ci_policy.py runs pytest on small test files

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _hypothesis_profiles() -> None:
    """Under CI, property tests draw the same examples every run: a red CI means a change broke
    something, never that a new random draw found an old weakness (developers still explore)."""
    from hypothesis import settings

    settings.register_profile("ci", derandomize=True, database=None)
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}:
        settings.load_profile("ci")


_hypothesis_profiles()


def running_in_ci() -> bool:
    """True when the CI variable says so (GitHub Actions, GitLab and most others set CI=true)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI a skipped test is a failure: a skip there means CI checked less than it claims.

    Skips come from something missing (PyTorch, micrograd, Graphviz's dot); `./dev.sh test`
    installs all of them, so in CI a skip points at the setup, and the message says what was missing.
    """
    outcome = yield
    report = outcome.get_result()
    if not (running_in_ci() and report.skipped) or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    reason = reason.removeprefix("Skipped: ")
    report.outcome = "failed"
    report.longrepr = (
        f"skipped under CI=true, which counts as a failure: {reason}\n"
        "CI must run every test: `./dev.sh test` installs everything the tests need "
        "(PyTorch's CPU build, micrograd, Graphviz's dot)."
    )


def _patient_qtbot_waits() -> None:
    """A wait without its own timeout gives up after 30 s instead of pytest-qt's 5 s.

    Such waits are for real work in a thread or a child process (a training run, a big model's
    fresh weights, a redraw): a few seconds here, but instances of the CI machine differ about
    2.5x in speed and may be busy. A wait ends as soon as its condition holds, so only a failing
    test waits longer. Waits for a signal sent at once keep their own short timeouts.
    """
    try:
        from pytestqt.qtbot import QtBot
    except ImportError:  # the engine's tests need no Qt
        return
    for name in ("waitUntil", "waitSignal", "waitSignals", "waitCallback"):
        defaults = getattr(QtBot, name).__kwdefaults__
        if defaults and defaults.get("timeout") == 5000:
            defaults["timeout"] = 30_000


_patient_qtbot_waits()

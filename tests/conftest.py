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

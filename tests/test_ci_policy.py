"""The test suite's own policy: under CI=true nothing may be skipped."""

from pathlib import Path

import pytest

# without the Qt and Hypothesis plugins: the small suite needs neither, and they take most of each run
QUIET = ("-p", "no:cacheprovider", "-p", "no:pytest-qt", "-p", "no:hypothesispytest")
CONFTEST = Path(__file__).with_name("conftest.py").read_text(encoding="utf-8")
SKIPPING_TESTS = """
import pytest

def test_needs_a_missing_module():
    pytest.importorskip("a_module_nobody_installed")

@pytest.mark.skipif(True, reason="Graphviz's dot is not installed")
def test_needs_a_missing_program():
    pass

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_known_bug():
    assert False

def test_runs():
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_skips=SKIPPING_TESTS)
    return pytester


@pytest.mark.parametrize("value", ["true", "1"])
def test_under_ci_a_skip_fails_and_says_what_was_missing(suite, monkeypatch, value):
    monkeypatch.setenv("CI", value)
    result = suite.runpytest(*QUIET)
    result.assert_outcomes(passed=1, failed=1, errors=1, xfailed=1)
    assert result.ret != 0
    result.stdout.fnmatch_lines(
        [
            "*skipped under CI=true, which counts as a failure: could not import 'a_module_nobody_installed'*",
            "*skipped under CI=true*Graphviz's dot is not installed*",
        ]
    )


@pytest.mark.parametrize("value", [None, "false"])
def test_outside_ci_a_skip_is_only_a_skip(suite, monkeypatch, value):
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    result = suite.runpytest(*QUIET)
    result.assert_outcomes(passed=1, skipped=2, xfailed=1)
    assert result.ret == 0

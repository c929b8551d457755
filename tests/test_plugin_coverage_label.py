"""The plugin's coverage summary is printed only when asked (issue 17), and says what it is:
in a session whose tests use the fixture in passing (this project's own example client), a
block of "never exercised" scopes read as missing coverage on a green run."""

from __future__ import annotations

import pytest

from tests.test_plugin import make_suite

pytest_plugins = ["pytester"]

SUITE = """
from client import call, token

def test_numverify(dqe_mock):
    t = token(dqe_mock.url)
    call(dqe_mock.url, "IDMOBILE", {"number": "+33639980001", "token": t, "name": "ACME", "licence": "100001", "scope": "numVerify"})
"""
LABEL = (
    "dqe-mock coverage of this test session's requests to the mock: what the tests using the "
    'dqe_mock fixture exercised ("never": no test of this session did)'
)


def test_no_summary_unless_asked(pytester: pytest.Pytester) -> None:
    make_suite(pytester, SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "dqe-mock coverage" not in result.stdout.str()
    assert "never exercised" not in result.stdout.str()


@pytest.mark.parametrize("how", ["option", "ini"])
def test_the_summary_when_asked_is_labelled(pytester: pytest.Pytester, how: str) -> None:
    make_suite(pytester, SUITE)
    if how == "ini":
        pytester.makeini("[pytest]\ndqe_mock_coverage = true\n")
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    else:
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--dqe-mock-coverage")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*dqe-mock coverage*",
            LABEL,
            "scopes exercised: numVerify",
            "scopes never exercised: matching_notp, formfilling, matching",
        ]
    )

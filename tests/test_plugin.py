"""The pytest plugin as an integrator meets it: fixture, conformance failures, coverage report."""

from __future__ import annotations

import json

import pytest

pytest_plugins = ["pytester"]

CLIENT = """
import json
import urllib.parse
import urllib.request


def call(base, endpoint, params):
    data = urllib.parse.urlencode(params).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{base}/{endpoint}/", data=data), timeout=10) as r:
        return json.loads(r.read())


def token(base):
    return call(base, "ACCESS_TOKEN", {"client_secret": "demo-secret", "grant_type": "client_idmobile", "licence": "100001"})["access_token"]
"""


def make_suite(pytester: pytest.Pytester, body: str) -> None:
    pytester.makepyfile(client=CLIENT, test_client=body)


def test_a_conforming_client_passes_and_the_report_lists_what_it_exercised(
    pytester: pytest.Pytester,
) -> None:
    make_suite(
        pytester,
        """
from client import call, token

def test_numverify(dqe_mock):
    t = token(dqe_mock.url)
    body = call(dqe_mock.url, "IDMOBILE", {"number": "+33639980001", "token": t, "name": "ACME", "licence": "100001", "scope": "numVerify"})
    assert body["status"] == "success"
    assert call(dqe_mock.url, "GET", {"token": t, "Licence": "100001", "scope": "numVerify"})["status"] == "pending"
""",
    )
    report = pytester.path / "report.json"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--dqe-mock-report={report}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*dqe-mock coverage*", "scopes exercised: numVerify"])
    data = json.loads(report.read_text())
    assert data["scopes"]["exercised"] == ["numVerify"]
    assert data["endpoints"]["GET"]["outcomes"] == ["pending"]
    assert "21" in data["endpoints"]["GET"]["error_ids_never"]


def test_a_non_conforming_request_fails_the_test_at_teardown(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
from client import call, token

def test_forgets_the_partner_name(dqe_mock):
    t = token(dqe_mock.url)
    body = call(dqe_mock.url, "IDMOBILE", {"number": "+33639980001", "token": t, "licence": "100001", "scope": "numVerify"})
    assert body["error_id"] == "01"
""",
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*the client sent requests that break the DQE contract*",
            "*POST /IDMOBILE/: /name: 'name' is required but missing*",
        ]
    )


def test_lenient_acceptance_is_reported_in_strict_mode(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
from client import call, token

def test_uses_the_get_spelling_on_idmobile(dqe_mock):
    t = token(dqe_mock.url)
    body = call(dqe_mock.url, "IDMOBILE", {"number": "+33639980001", "token": t, "name": "ACME", "Licence": "100001", "scope": "numVerify"})
    assert body["status"] == "success"
""",
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*/Licence: the docs spell it 'licence' on /IDMOBILE/*"])
    lenient = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--dqe-mock-lenient")
    lenient.assert_outcomes(passed=1)


def test_unreadable_bodies_notes_and_http_errors_fail_provoked_errors_do_not(
    pytester: pytest.Pytester,
) -> None:
    """docs/contract-testing.md's promise (a POST that is not form-encoded fails the test), the notes, and
    an HTTP 4xx fail at teardown; an error provoked with a magic number does not."""
    make_suite(
        pytester,
        """
import json
import urllib.error
import urllib.request
from client import token

def post(url, data, content_type):
    request = urllib.request.Request(url, data=data, headers={"Content-Type": content_type})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read())

def test_posts_text_plain(dqe_mock):
    body = post(dqe_mock.url + "/IDMOBILE/", b"number=+33639980001", "text/plain")
    assert body["error_id"] == "01"

def test_posts_json(dqe_mock):
    params = {"client_secret": "demo-secret", "grant_type": "client_idmobile", "licence": "100001"}
    body = post(dqe_mock.url + "/ACCESS_TOKEN/", json.dumps(params).encode(), "application/json")
    assert body["access_token"]

def test_deletes(dqe_mock):
    request = urllib.request.Request(dqe_mock.url + "/IDMOBILE/", method="DELETE")
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as error:
        assert error.code == 405

def test_provokes_error_15(dqe_mock):
    params = {"number": "+33639981015", "token": token(dqe_mock.url), "name": "ACME",
              "licence": "100001", "scope": "numVerify"}
    data = urllib.parse.urlencode(params).encode()
    body = post(dqe_mock.url + "/IDMOBILE/", data, "application/x-www-form-urlencoded")
    assert body["error_id"] == "15"
""",
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rE")
    result.assert_outcomes(passed=4, errors=3)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_posts_text_plain*",
            "*POST /IDMOBILE/: the request cannot be read: unsupported Content-Type 'text/plain'*",
            "*ERROR at teardown of test_posts_json*",
            "*POST /ACCESS_TOKEN/: POST body is application/json*(note json-body)*",
            "*ERROR at teardown of test_deletes*",
            "*DELETE /IDMOBILE/: HTTP 405 method_not_allowed: DELETE is not allowed here*",
        ]
    )
    assert "test_provokes_error_15" not in result.stdout.str().split("short test summary")[-1]


def test_an_unknown_path_fails_the_test(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
import urllib.error
import urllib.request

def test_typo_in_the_endpoint(dqe_mock):
    try:
        urllib.request.urlopen(dqe_mock.url + "/IDMOBIL/?number=1", timeout=10)
    except urllib.error.HTTPError as error:
        assert error.code == 404
""",
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*GET /IDMOBIL/ is not an ID Mobile endpoint*"])


def test_each_test_starts_from_a_reset_mock(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
from client import token

def test_first(dqe_mock):
    token(dqe_mock.url)
    assert len(dqe_mock.journal()) == 1

def test_second(dqe_mock):
    assert dqe_mock.journal() == []
""",
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_coverage_is_merged_across_xdist_workers(pytester: pytest.Pytester) -> None:
    make_suite(
        pytester,
        """
import pytest
from client import call, token

@pytest.mark.parametrize("scope", ["numVerify", "formfilling"])
def test_scope(dqe_mock, scope):
    t = token(dqe_mock.url)
    mode = {"mode": "2"} if scope == "formfilling" else {}  # numVerify takes none
    call(dqe_mock.url, "IDMOBILE", {"number": "+33639980001", "token": t, "name": "ACME", **mode, "licence": "100001", "scope": scope})
""",
    )
    report = pytester.path / "report.json"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", f"--dqe-mock-report={report}"
    )
    result.assert_outcomes(passed=2)
    assert json.loads(report.read_text())["scopes"]["exercised"] == ["formfilling", "numVerify"]

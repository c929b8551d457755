"""`dqe-mock report` against a live mock: formats, requirements, exit codes, JUnit validity.

The server runs in a BackgroundLoop (mockserver/testing/server.py) on 127.0.0.1, a free
port, its clock frozen; a client breaks the poll-interval rule (four polls, no wait). The
exit codes are the ones `dqe-mock report --help` documents (0, 1, 2); the JUnit XML is
validated against the Ant JUnit schema (tests/fixtures/junit/junit.xsd, its source cited).
"""

from __future__ import annotations

import json
import socket
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from mockserver import cli
from mockserver.contract import contract
from mockserver.settings import Settings
from mockserver.testing.server import MockServer

XSD = Path(__file__).parent / "fixtures" / "junit" / "junit.xsd"
PENDING_3 = "+33639984003"


def post(url: str, **form: str) -> dict[str, object]:
    data = urllib.parse.urlencode(form).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=10) as reply:
        body: dict[str, object] = json.loads(reply.read())
    return body


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(Settings(seed=3, frozen_clock=True, admin_token="t0k")) as server:
        base = server.base_url
        token = str(post(f"{base}/ACCESS_TOKEN/", client_secret="demo-secret",
                         grant_type="client_idmobile", licence="100001")["access_token"])  # fmt: skip
        post(f"{base}/IDMOBILE/", number=PENDING_3, token=token, mode="2", name="ACME",
             licence="100001", scope="formfilling", redirect_uri="https://shop.example/")  # fmt: skip
        for _ in range(4):
            post(f"{base}/GET/", token=token, Licence="100001", scope="formfilling")
        yield server


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = cli.main(["report", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_json_is_the_served_report(mock: MockServer, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--url", mock.base_url, "--admin-token", "t0k",
                         "--format", "json")  # fmt: skip
    assert status == 0
    body = json.loads(out)
    assert [str(v) for v in contract().validate_document("admin/report.schema.json", body)] == []
    assert [f["rule"] for f in body["findings"]] == ["poll-interval"]


def test_findings_fail_only_when_asked(
    mock: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ("--url", mock.base_url, "--admin-token", "t0k")
    status, out, _ = run(capsys, *common, "--fail-on-findings")
    assert status == 1
    assert "[poll-interval] Session s" in out
    assert run(capsys, *common, "--require-scopes", "formfilling")[0] == 0


def test_a_required_scope_never_sent_fails(
    mock: MockServer, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "report.xml"
    status, out, _ = run(capsys, "--url", mock.base_url, "--admin-token", "t0k",
                         "--format", "junit", "--output", str(target),
                         "--require-scopes", "formfilling,numVerify", "--require-errors", "30")  # fmt: skip
    assert (status, out) == (1, "")
    document = etree.parse(str(target))
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(document), schema.error_log
    suites = {s.get("name"): s for s in document.getroot()}
    assert list(suites) == ["dqe-mock.coverage", "dqe-mock.conformance", "dqe-mock.behaviour"]
    failed = {c.get("name") for c in document.iter("testcase") if c.find("failure") is not None}
    assert failed == {"scope numVerify", "error 30", "poll-interval"}
    coverage = suites["dqe-mock.coverage"]
    assert (coverage.get("tests"), coverage.get("failures")) == ("3", "2")
    [failure] = document.xpath("//testcase[@name='poll-interval']/failure")
    assert "wait at least 1 s between two polls" in failure.get("message")


def test_html_escapes_every_value(mock: MockServer, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "--url", mock.base_url, "--admin-token", "t0k",
                         "--format", "html")  # fmt: skip
    assert status == 0
    assert out.startswith("<!DOCTYPE html>")
    assert "<script" not in out
    assert "http" not in out.split("<body>")[0].lower()
    assert "polled /GET/ sooner than 1 s" in out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--url", "http://127.0.0.1:{port}"], "cannot reach"),
        (["--url", "{mock}"], "HTTP 401"),
        (["--url", "{mock}", "--require-scopes", "nope"], "not a documented scope"),
    ],
)
def test_usage_and_connection_errors_are_one_line(
    mock: MockServer, capsys: pytest.CaptureFixture[str], args: list[str], said: str
) -> None:
    filled = [a.format(port=free_port(), mock=mock.base_url) for a in args]
    status, out, err = run(capsys, *filled)
    assert (status, out) == (2, "")
    assert said in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


def test_help_documents_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["report", "--help"])
    out = capsys.readouterr().out
    for code in ("0 ", "1 ", "2 "):
        assert f"\n  {code}" in out


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://[::1", "--url 'http://[::1' is not a URL (RFC 3986)"),
        ("http://127.0.0.1:abc", "--url 'http://127.0.0.1:abc' has a port that is not a number"),
        ("ftp://x", "--url 'ftp://x' must be an http or https URL"),
        ("http://user:pw@127.0.0.1:9", "--url 'http://***@127.0.0.1:9' must not carry user"),
    ],
)
@pytest.mark.parametrize("command", [["report"], ["export-session", "TKx"]])
def test_a_malformed_url_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], command: list[str], url: str, said: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([*command, "--url", url])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert said in err
    assert "pw" not in err
    assert "Traceback" not in err


@pytest.mark.parametrize("name", ["", "-x", "a b"])
@pytest.mark.parametrize("command", [["report"], ["export-session", "TKx"]])
def test_an_empty_or_invalid_namespace_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], command: list[str], name: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([*command, "--url", "http://127.0.0.1:9", "--namespace", name])
    assert exited.value.code == 2
    assert "--namespace" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["text", "junit", "html"])
def test_a_gate_on_nothing_counted_fails(
    mock: MockServer, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    status, out, _ = run(capsys, "--url", mock.base_url, "--admin-token", "t0k",
                         "--namespace", "never-used", "--format", fmt, "--fail-on-findings")  # fmt: skip
    assert status == 1
    said = (
        "nothing was counted (namespace never-used): a typo in --namespace, a reset, or the "
        "client never ran"
    )
    assert said in out
    if fmt == "junit":
        document = etree.fromstring(out.encode())
        [failure] = document.xpath("//testcase[@name='requests counted']/failure")
        assert failure.get("message") == said


def test_no_gate_no_failure_on_nothing_counted(
    mock: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "--url", mock.base_url, "--admin-token", "t0k",
                         "--namespace", "never-used")  # fmt: skip
    assert status == 0
    assert "nothing was counted" not in out


def test_an_unwritable_output_is_one_line(
    mock: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "--url", mock.base_url, "--admin-token", "t0k",
                           "--output", "/nonexistent/x.txt")  # fmt: skip
    assert (status, out) == (2, "")
    assert (
        err == "dqe-mock report: cannot write /nonexistent/x.txt: no such directory /nonexistent\n"
    )


def test_help_says_what_exit_2_means(capsys: pytest.CaptureFixture[str]) -> None:
    for command in (["report"], ["export-session"]):
        with pytest.raises(SystemExit):
            cli.main([*command, "--help"])
        out = " ".join(capsys.readouterr().out.split())
        assert "2 usage error, unreachable mock, or the output cannot be written" in out


def test_the_invalid_client_hint_is_a_wrong_client_secret(
    mock: MockServer, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(capsys, "--url", mock.base_url, "--admin-token", "t0k",
                         "--format", "junit", "--require-errors", "invalid_client")  # fmt: skip
    assert status == 1
    [failure] = etree.fromstring(out.encode()).xpath(
        "//testcase[@name='error invalid_client']/failure"
    )
    assert "a wrong client_secret for a licence of the licences table" in failure.get("message")
    assert "provokes it (README: Magic numbers)" not in failure.get("message")

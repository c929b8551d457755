"""Bodies and queries the admin API cannot use get a JSON 400 that says why, never a 500."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest

from mockserver.settings import Settings
from mockserver.testing.server import MockServer


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(Settings(seed=3)) as server:
        yield server


def raw(
    mock: MockServer, method: str, path: str, body: bytes | None = None, **headers: str
) -> tuple[int, bytes]:
    host, port = mock.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest(method, path)
        for name, value in headers.items():
            connection.putheader(name, value)
        if body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("path", "body", "headers"),
    [
        (
            "/__admin/clock/advance",
            b'{"seconds": ' + b"9" * 400 + b"}",
            {"Content-Type": "application/json"},
        ),
        (
            "/__admin/clock/advance",
            b'{"seconds": 1}',
            {"Content-Type": "application/json; charset=bogus"},
        ),
        ("/__admin/clock/advance", b"[" * 5000 + b"]" * 5000, {"Content-Type": "application/json"}),
        (
            "/__admin/scenarios",
            b"\xff\xfe\xfd",
            {"Content-Type": "application/yaml; charset=utf-8"},
        ),
        ("/__admin/scenarios", b"version: 1", {"Content-Type": "application/yaml; charset=bogus"}),
    ],
)
def test_odd_admin_bodies_get_a_json_400(
    mock: MockServer, path: str, body: bytes, headers: dict[str, str]
) -> None:
    status, answer = raw(mock, "POST", path, body, **headers)
    assert status == 400
    assert "error" in json.loads(answer)


@pytest.mark.parametrize("limit", ["%C2%B2", "9" * 5000, "-1"])
def test_odd_journal_limits_get_a_json_400(mock: MockServer, limit: str) -> None:
    status, answer = raw(mock, "GET", f"/__admin/journal?limit={limit}")
    assert status == 400
    assert "limit" in json.loads(answer)["error"]


TOKEN = "TKf656593d44d3b5d3d9eca5c89e176d3227ae6f30"


@pytest.mark.parametrize(
    ("method", "path", "status", "said"),
    [
        # Found by an outside tester: the 405 repeated the path, token and all.
        ("POST", f"/__admin/sessions/{TOKEN}/scenario", 405,
         "POST is not allowed at this path; allowed: GET, HEAD"),
        ("DELETE", f"/__admin/sessions/{TOKEN}", 405,
         "DELETE is not allowed at this path; allowed: GET, HEAD"),
        ("GET", f"/__admin/sessions/{TOKEN}/nothing", 404,
         "not_found"),
    ],
)  # fmt: skip
def test_an_admin_error_never_repeats_the_request_target(
    mock: MockServer, method: str, path: str, status: int, said: str
) -> None:
    code, body = raw(mock, method, path)
    assert code == status
    assert json.loads(body)["error"] == said
    assert TOKEN.encode() not in body

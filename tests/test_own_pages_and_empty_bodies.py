"""Two findings of an outside tester's second pass, each a kind of mistake:

- a POST that names a form type but sends no body made the journal's notes read a form that
  is not there: a 500 on every DQE endpoint (a 500 from the mock is always a bug);
- reading the mock's own documentation (/docs, /openapi.json, /schemas/..., the / page) was
  journaled as a client calling an unknown endpoint, so a CI gate failed a client for reading
  the contract (docs/openapi.md points tools at /openapi.json).
Expected answers by hand from the docs' error tables and the README's magic numbers.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator

import pytest

from mockserver.settings import Settings
from mockserver.testing.server import MockServer

MULTIPART = "multipart/form-data"
TOKEN_QUERY = "licence=100001&client_secret=demo-secret&grant_type=client_idmobile"


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with MockServer(Settings(seed=5)) as server:
        yield server


def send(mock: MockServer, method: str, target: str, **headers: str) -> tuple[int, bytes]:
    host, port = mock.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.putrequest(method, target)
        for name, value in headers.items():
            connection.putheader(name, value)
        if method == "POST":
            connection.putheader("Content-Length", "0")
        connection.endheaders()
        reply = connection.getresponse()
        return reply.status, reply.read()
    finally:
        connection.close()


def journal(mock: MockServer) -> list[dict[str, object]]:
    status, body = send(mock, "GET", "/__admin/journal")
    assert status == 200
    entries: list[dict[str, object]] = json.loads(body)["entries"]
    return entries


@pytest.mark.parametrize("content_type", [MULTIPART, f"{MULTIPART}; boundary=zz"])
def test_an_empty_multipart_post_is_an_empty_request_not_a_500(
    mock: MockServer, content_type: str
) -> None:
    # No body: no parameters but the query's. /ACCESS_TOKEN/ without them is invalid_request
    # (400); /IDMOBILE/ and /GET/ without a token are 01 (HTTP 200, DQE error body).
    expected = {"/ACCESS_TOKEN/": (400, "invalid_request"), "/IDMOBILE/": (200, "01"),
                "/GET/": (200, "01")}  # fmt: skip
    for path, (status, error) in expected.items():
        code, body = send(mock, "POST", path, **{"Content-Type": content_type})
        answer = json.loads(body)
        assert (code, answer.get("error_id", answer.get("error"))) == (status, error), path
    # With the token request's parameters in the query, the same empty body gets a token.
    code, body = send(mock, "POST", f"/ACCESS_TOKEN/?{TOKEN_QUERY}", **{"Content-Type": MULTIPART})
    assert code == 200
    assert json.loads(body)["access_token"].startswith("TK")


def test_reading_the_mock_s_own_pages_is_not_journaled(mock: MockServer) -> None:
    for target, accept in (("/docs", "text/html"), ("/openapi.json", "*/*"),
                           ("/openapi.yaml", "*/*"), ("/", "text/html")):  # fmt: skip
        status, _ = send(mock, "GET", target, Accept=accept)
        assert status == 200, target
    assert journal(mock) == []
    # A path that is no page of the mock's is a client's mistake, journaled as one.
    status, _ = send(mock, "GET", "/IDMOBIL/", Accept="application/json")
    assert status == 404
    (entry,) = journal(mock)
    assert entry["request_violations"][0] == "GET /IDMOBIL/ is not an ID Mobile endpoint"

"""Arbitrary input never makes the mock answer 500: fuzzing every endpoint over real HTTP."""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.settings import Settings
from mockserver.testing.server import MockServer

PATHS = ["/ACCESS_TOKEN/", "/IDMOBILE/", "/GET/", "/IDMOBILE", "/operator/orange/consent/s0"]
KEYS = [
    "number",
    "token",
    "mode",
    "name",
    "code_name",
    "licence",
    "Licence",
    "user_infos",
    "scope",
    "redirect_uri",
    "country",
    "client_secret",
    "grant_type",
    "decision",
    "otp",
]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=latin-1",
    "application/x-www-form-urlencoded; charset=nope",
    "multipart/form-data; boundary=xyz",
    "application/json",
    "text/plain",
    "",
]
texts = st.text(max_size=40) | st.sampled_from(["", "0639980001", "matching", "{", "[]", "2"])
params = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), texts, max_size=8)


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(Settings(seed=11)) as server:
        yield server


def send(
    mock: MockServer, method: str, target: str, body: bytes | None, ctype: str
) -> tuple[int, str, bytes]:
    host, port = mock.base_url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"Content-Type": ctype} if ctype else {}
    try:
        connection.request(method, target, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


@given(
    path=st.sampled_from(PATHS),
    query=params,
    raw_query=st.text(max_size=30).map(lambda t: urllib.parse.quote(t, safe="=&%+")),
)
def test_any_query_gets_an_answer_that_is_not_500(
    mock: MockServer, path: str, query: dict[str, str], raw_query: str
) -> None:
    target = f"{path}?{urllib.parse.urlencode(query)}&{raw_query}"
    status, ctype, body = send(mock, "GET", target, None, "")
    assert status != 500, body
    if path.startswith(("/ACCESS_TOKEN", "/IDMOBILE", "/GET")):
        assert ctype.startswith("application/json")
        json.loads(body)


@given(
    path=st.sampled_from(PATHS),
    ctype=st.sampled_from(CONTENT_TYPES),
    body=st.one_of(
        params.map(lambda p: urllib.parse.urlencode(p).encode()),
        params.map(lambda p: json.dumps(p).encode()),
        st.binary(max_size=200),
    ),
)
def test_any_body_gets_an_answer_that_is_not_500(
    mock: MockServer, path: str, ctype: str, body: bytes
) -> None:
    status, _, answer = send(mock, "POST", path, body, ctype)
    assert status != 500, answer
    assert 200 <= status < 500

"""What a newcomer meets off the documented paths (issue 17): the JSON 404 naming the endpoints
and where to read more, a case or slash slip pointed out, the root's page for a browser, and
a JSON 405 with Allow on a documented path. Expected bodies are written here by hand."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.http.app import create_app
from mockserver.settings import Settings

UNKNOWN = (
    "no such path; the ID Mobile endpoints are /ACCESS_TOKEN/, /IDMOBILE/, /GET/ (GET or POST); "
    "see also /docs (the contract, browsable), /openapi.json, /__admin/ui (the dashboard), "
    "/__admin/health"
)
CASE = "(the paths are upper case, between single slashes)"

# (method, path, Accept, the JSON body of the 404)
NOT_FOUND = [
    ("GET", "/", "", UNKNOWN),
    ("GET", "/", "application/json", UNKNOWN),
    ("POST", "/", "", UNKNOWN),
    ("GET", "/foo", "text/html", UNKNOWN),
    ("POST", "/foo", "", UNKNOWN),
    ("GET", "/idmobile/", "", f"no such path: did you mean /IDMOBILE/? {CASE}"),
    ("POST", "/Get/", "", f"no such path: did you mean /GET/? {CASE}"),
    ("GET", "/IDMOBILE//", "", f"no such path: did you mean /IDMOBILE/? {CASE}"),
    ("GET", "/docs/", "", "no such path: did you mean /docs?"),
    ("GET", "/OPENAPI.JSON", "", "no such path: did you mean /openapi.json?"),
]


@pytest.fixture
async def server() -> AsyncIterator[TestServer]:
    settings = Settings(seed=7, frozen_clock=True, public_url="http://mock.example:8080/base")
    async with TestServer(create_app(settings), host="127.0.0.1") as srv:
        yield srv


@pytest.mark.parametrize(("method", "path", "accept", "description"), NOT_FOUND)
async def test_an_unknown_path_is_a_json_404_that_says_where_to_go(
    server: TestServer, method: str, path: str, accept: str, description: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    async with (
        ClientSession() as session,
        session.request(method, server.make_url(path), headers=headers) as answer,
    ):
        assert answer.status == 404
        assert answer.content_type == "application/json"
        assert json.loads(await answer.text()) == {
            "error": "not_found",
            "error_description": description,
        }


async def test_the_root_is_a_page_for_a_browser(server: TestServer) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # Firefox's
    async with (
        ClientSession() as session,
        session.get(server.make_url("/"), headers={"Accept": accept}) as answer,
    ):
        assert answer.status == 200
        assert answer.content_type == "text/html"
        assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
        text = await answer.text()
    assert "<a id='docs' href='http://mock.example:8080/base/docs'>The contract</a>" in text
    assert "<a id='dashboard' href='http://mock.example:8080/base/__admin/ui'>" in text
    assert "The README's <strong>Walkthrough with curl</strong> section" in text
    assert "<code>/ACCESS_TOKEN/</code>, <code>/IDMOBILE/</code> and <code>/GET/</code>" in text


@pytest.mark.parametrize(("method", "path"), [("PUT", "/IDMOBILE/"), ("DELETE", "/GET")])
async def test_another_method_on_a_documented_path_is_a_json_405_with_allow(
    server: TestServer, method: str, path: str
) -> None:
    async with (
        ClientSession() as session,
        session.request(method, server.make_url(path)) as answer,
    ):
        assert answer.status == 405
        assert answer.headers["Allow"] == "GET,HEAD,POST"
        assert json.loads(await answer.text()) == {
            "error": "method_not_allowed",
            "error_description": f"{method} is not allowed here; allowed: GET,HEAD,POST",
        }

"""Inputs a review found that once made the mock answer 500 or misbehave; each has its answer now."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.cli import main
from mockserver.contract.errors import catalogue
from mockserver.domain.loading import ScenarioFileError, load_text
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient, user_infos
from mockserver.testing.server import MockServer

ORANGE = "+33639980001"


@pytest.mark.parametrize("uri", ["http://[::1", "http://a:99999/", "https://:80/x", "http://"])
async def test_an_unusable_redirect_uri_is_01_at_initiation(dqe: DqeClient, uri: str) -> None:
    token = await dqe.token()
    reply = await dqe.idmobile(token, ORANGE, "formfilling", redirect_uri=uri)
    assert reply.error_id == "01"
    assert reply.body["error_type"] == catalogue().get("01").label


async def test_a_token_belongs_to_its_namespace(server: TestServer) -> None:
    async with (
        ClientSession(headers={"X-Dqe-Namespace": "w1"}) as w1,
        ClientSession(headers={"X-Dqe-Namespace": "w2"}) as w2,
    ):
        token = await DqeClient(w1, server.make_url("/")).token()
        elsewhere = await DqeClient(w2, server.make_url("/")).idmobile(token, ORANGE, "numVerify")
        at_home = await DqeClient(w1, server.make_url("/")).idmobile(token, ORANGE, "numVerify")
    assert elsewhere.error_id == "30"
    assert at_home.body["status"] == "success"


async def test_a_json_answer_on_the_consent_url_is_read(dqe: DqeClient, server: TestServer) -> None:
    token = await dqe.token()
    started = await dqe.idmobile(token, ORANGE, "formfilling", redirect_uri="https://p.example/cb")
    async with ClientSession() as session:
        posted = await session.post(
            started.body["url"], json={"decision": "deny"}, allow_redirects=False
        )
        location = posted.headers["Location"]
    assert posted.status == 302
    assert location.endswith("status=error")
    assert (await dqe.get(token, "formfilling")).error_id == "21"


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
        connection.putrequest(method, path, skip_host="Host" in headers)
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


@pytest.mark.parametrize("host", ["", "a:99999"])
def test_a_missing_or_broken_host_still_gives_a_usable_consent_url(
    mock: MockServer, host: str
) -> None:
    status, answer = raw(
        mock,
        "GET",
        "/ACCESS_TOKEN/?client_secret=demo-secret&grant_type=client_idmobile&licence=100001",
    )
    token = json.loads(answer)["access_token"]
    query = f"number=0639980001&token={token}&name=A&licence=100001&scope=numVerify"
    status, answer = raw(mock, "GET", f"/IDMOBILE/?{query}", Host=host)
    assert status == 200
    url = json.loads(answer)["url"]
    assert url.startswith(mock.base_url + "/operator/orange/consent/")


@pytest.mark.parametrize(
    "document",
    [
        # RE2, the judge of patterns, reads a count it cannot parse (a{99999999999}) as text;
        # a count over its maximum of 1000 is what it refuses.
        "version: 1\nscenarios:\n  - {id: big, match: {pattern: 'a{1001}'}, operator: Orange}\n",
        "version: 1\ndescription: &a [*a]\n",
        "version: 1\ndescription: " + "[" * 3000 + "]" * 3000 + "\n",
    ],
)
def test_pathological_scenario_documents_are_file_errors(document: str) -> None:
    with pytest.raises(ScenarioFileError) as failure:
        load_text(document, "odd.yaml")
    assert str(failure.value).startswith("odd.yaml:")


def test_validate_layers_the_files_as_serve_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "ops.yaml").write_text("version: 1\noperators:\n  - name: Acme Mobile\n")
    (tmp_path / "uses.yaml").write_text(
        "version: 1\nscenarios:\n  - {id: acme, match: {numbers: ['+33639987501']}, operator: Acme Mobile}\n"
    )
    assert main(["validate", str(tmp_path / "ops.yaml"), str(tmp_path / "uses.yaml")]) == 0
    assert capsys.readouterr().err == ""
    assert main(["validate", str(tmp_path / "uses.yaml")]) == 1
    assert "'Acme Mobile' of 'acme' is not in any operators list" in capsys.readouterr().err


async def test_a_birthdate_that_does_not_exist_is_01(dqe: DqeClient) -> None:
    token = await dqe.token()
    infos = json.dumps({**json.loads(user_infos()), "birthdate": "2020-02-30"})
    reply = await dqe.idmobile(token, ORANGE, "matching_notp", user_infos=infos)
    assert reply.error_id == "01"

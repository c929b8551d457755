"""Each input with which Schemathesis (tests/test_schemathesis.py) showed a bug, replayed.

The judge's run is random within its seed; these plain tests pin every finding, so that it
stays fixed whatever the judge's next run happens to generate.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.contract.schemas import contract
from tests.served import ROOT

ADMIN_SCENARIOS = "/__admin/scenarios"
OPENAPI: dict[str, Any] = yaml.safe_load((ROOT / "schemas" / "openapi.yaml").read_text("utf-8"))


def admin_def(name: str) -> dict[str, Any]:
    definition: dict[str, Any] = contract().schemas["admin/common.schema.json"]["$defs"][name]
    return definition


def pattern_document(pattern_json: str) -> str:
    """A scenario document (JSON) whose one scenario matches by `pattern_json` (JSON text)."""
    return (
        '{"version": 1, "scenarios": [{"id": "p", "operator": "Orange", '
        f'"match": {{"pattern": {pattern_json}}}}}]}}'
    )


async def test_a_pattern_with_a_surrogate_pair_escape_is_a_400_not_a_500(
    server: TestServer,
) -> None:
    """Schemathesis, fuzzing phase: POST and PUT /__admin/scenarios with a JSON body whose
    `pattern` holds `\\udac8\\udf02` answered 500 (RE2 cannot encode surrogates)."""
    body = pattern_document('"\\\\D+\\udac8\\udf02?"')
    async with ClientSession() as session:
        for method in ("POST", "PUT"):
            async with session.request(
                method,
                server.make_url(ADMIN_SCENARIOS),
                data=body.encode(),
                headers={"Content-Type": "application/json"},
            ) as response:
                assert response.status == 400, method
                answer = json.loads(await response.text())
        (problem,) = answer["problems"]
        # Refused where the document is read (any string, the pattern included), at its line.
        assert problem.startswith("<admin:default>:1: ")
        assert "U+DAC8 is a lone UTF-16 surrogate" in problem


async def test_a_pattern_with_a_lone_surrogate_is_a_400(server: TestServer) -> None:
    async with (
        ClientSession() as session,
        session.post(
            server.make_url(ADMIN_SCENARIOS),
            data=pattern_document('"x\\ud800"').encode(),
            headers={"Content-Type": "application/json"},
        ) as response,
    ):
        assert response.status == 400
        answer = json.loads(await response.text())
    assert "U+D800 is a lone UTF-16 surrogate" in answer["problems"][0]


# The limits of the admin API's query and body, at both ends: the document
# (schemas/admin/*.schema.json) and the server must agree on the last accepted value.
CENTURY = 100 * 365 * 24 * 3600  # seconds: the README's "at most a century"


async def test_the_clock_moves_by_a_century_at_most_as_documented(server: TestServer) -> None:
    """Schemathesis, fuzzing phase (positive_data_acceptance): `{"seconds": 1e10}` matched
    the document (no maximum) and got 400 from the server."""
    schema = contract().schemas["admin/clock_advance_request.schema.json"]
    assert schema["properties"]["seconds"]["maximum"] == CENTURY
    async with ClientSession() as session:
        for seconds, status in ((CENTURY, 200), (CENTURY + 1, 400), (1e10, 400)):
            async with session.post(
                server.make_url("/__admin/clock/advance"), json={"seconds": seconds}
            ) as response:
                assert response.status == status, seconds


async def test_journal_limit_takes_nine_digits_as_documented(server: TestServer) -> None:
    """Schemathesis, stateful phase (positive_data_acceptance): a 10-digit `limit` matched
    the document (no maximum) and got 400."""
    assert admin_def("journal_limit")["maximum"] == 999_999_999
    async with ClientSession() as session:
        for limit, status in (("999999999", 200), ("1000000000", 400)):
            async with session.get(
                server.make_url("/__admin/journal"), params={"limit": limit}
            ) as response:
                assert response.status == status, limit


async def test_the_largest_cursor_is_accepted(server: TestServer) -> None:
    """The cursor's bound is 2**62 (19 digits), but the server refused any 19-digit text:
    2**62 itself was a 400. Found while aligning the document's maximum with the server."""
    assert admin_def("cursor")["maximum"] == 2**62
    async with ClientSession() as session:
        for cursor, status in ((2**62, 200), (2**62 + 1, 400), (10**19, 400)):
            async with session.get(
                server.make_url("/__admin/sessions"), params={"cursor": str(cursor)}
            ) as response:
                assert response.status == status, cursor
                if status == 200:
                    assert (await response.json())["sessions"] == []


async def test_token_request_without_licence_is_refused_so_the_document_requires_it(
    server: TestServer,
) -> None:
    """Schemathesis, coverage phase (schema validation mismatch on GET /ACCESS_TOKEN/): the
    document made `licence` and `Licence` both optional, and the server answered 400 to the
    requests without either. The document now requires the token page's spelling; the
    server still takes the other one alone."""
    params = {
        p["$ref"].rsplit("/", 1)[-1]
        for p in OPENAPI["paths"]["/ACCESS_TOKEN/"]["get"]["parameters"]
    }
    assert OPENAPI["components"]["parameters"]["TokenLicence"]["required"] is True
    assert "TokenLicence" in params
    base = {"client_secret": "demo-secret", "grant_type": "client_idmobile"}
    async with ClientSession() as session:
        for extra, status in (
            ({}, 400),
            ({"licence": "100001"}, 200),
            ({"Licence": "100001"}, 200),
        ):
            async with session.get(
                server.make_url("/ACCESS_TOKEN/"), params={**base, **extra}
            ) as response:
                assert response.status == status, extra
                if status == 400:
                    assert (await response.json())["error"] == "invalid_request"


async def test_a_scenario_document_with_a_control_character_is_never_a_500(
    server: TestServer,
) -> None:
    """Issue 11's first Schemathesis run: POST and PUT /__admin/scenarios with a body holding
    a control character answered 500 (fixed by issue 10's reading of documents; pinned here
    as the input the judge reported). A raw one is refused with its line; a JSON escape of
    one is a character like any other."""
    raw = b'{"version": 1, "description": "bell \x07"}'
    escaped = b'{"version": 1, "description": "bell \\u0007"}'
    async with ClientSession() as session:
        for method in ("POST", "PUT"):
            for body, status in ((raw, 400), (escaped, 201 if method == "POST" else 200)):
                async with session.request(
                    method,
                    server.make_url(ADMIN_SCENARIOS),
                    params={"namespace": "findings"},
                    data=body,
                    headers={"Content-Type": "application/json"},
                ) as response:
                    assert response.status == status, (method, body)
                    answer = await response.json()
                if status == 400:
                    assert "U+0007" in answer["problems"][0]

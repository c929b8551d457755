"""Whatever a client sends, the three endpoints answer a documented JSON body and never a 500."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from aiohttp import FormData
from yarl import URL

from mockserver.contract.errors import catalogue, error_id_of
from mockserver.contract.schemas import Violation, contract
from mockserver.domain.service import MockState
from mockserver.testing.client import DqeClient, user_infos
from tests.table import Rows

ENDPOINTS = ["ACCESS_TOKEN", "IDMOBILE", "GET"]
METHODS = ["GET", "POST"]
FORM = "application/x-www-form-urlencoded"
ORANGE = "+33639980001"
MAX_BODY = 64 * 1024
TOKEN_PARAMS = {
    "client_secret": "demo-secret",
    "grant_type": "client_idmobile",
    "licence": "100001",
}


@dataclass
class RawReply:
    """An exchange made without the client's helpers (bodies it would never send)."""

    endpoint: str | None
    status: int
    content_type: str
    text: str
    body: Any = None
    violations: list[Violation] = field(default_factory=list)

    @property
    def error_id(self) -> str | None:
        return error_id_of(self.body)


def response_schema(endpoint: str, status: int) -> str:
    if endpoint == "ACCESS_TOKEN":
        return "access_token" if status == 200 else "access_token_error"
    return endpoint.lower()


async def send(
    dqe: DqeClient,
    method: str,
    target: str,
    body: bytes | str | FormData | None = None,
    content_type: str | None = None,
) -> RawReply:
    """`target` is sent byte for byte (already encoded: malformed escapes stay malformed)."""
    url = URL(str(dqe.base_url).rstrip("/") + target, encoded=True)
    headers = {"Content-Type": content_type} if content_type else {}
    data = body.encode() if isinstance(body, str) else body
    async with dqe.session.request(
        method, url, data=data, headers=headers, allow_redirects=False
    ) as response:
        text = await response.text(errors="replace")
        status, ctype = response.status, response.content_type
    endpoint = next((e for e in ENDPOINTS if target.startswith(f"/{e}")), None)
    reply = RawReply(endpoint, status, ctype, text)
    if ctype == "application/json":
        reply.body = json.loads(text)
        if endpoint is not None:
            reply.violations = contract().validate_response(
                response_schema(endpoint, status), reply.body
            )
    return reply


def assert_documented(reply: RawReply) -> None:
    """Never a 500; JSON with the documented shape of the endpoint's answers."""
    assert reply.status != 500, reply.text
    assert reply.content_type == "application/json", (reply.status, reply.text[:200])
    assert reply.violations == [], reply.violations


def assert_error(reply: RawReply, error_id: str) -> None:
    assert_documented(reply)
    entry = catalogue().get(error_id)
    assert reply.status == entry.http_status
    assert reply.error_id == error_id, reply.body
    if error_id in catalogue().business:
        assert reply.body["error_type"] == entry.label_for(None)


def decode_error(endpoint: str) -> str:
    """The answer to a request whose parameters cannot be read."""
    return "invalid_request" if endpoint == "ACCESS_TOKEN" else "01"


async def valid_params(dqe: DqeClient, endpoint: str) -> dict[str, str]:
    """A complete, valid parameter set for `endpoint`."""
    if endpoint == "ACCESS_TOKEN":
        return dict(TOKEN_PARAMS)
    token = await dqe.token()
    if endpoint == "IDMOBILE":
        return {
            "number": ORANGE,
            "token": token,
            "name": "ACME",
            "licence": "100001",
            "scope": "matching",
            "mode": "2",
            "user_infos": user_infos(phone=ORANGE, lastname="Dupont"),
        }
    started = await dqe.idmobile(token, ORANGE, "numVerify")
    assert started.violations == []
    return {"token": token, "Licence": "100001", "scope": "numVerify"}


# --- malformed queries --------------------------------------------------------------------


async def test_percent_zz_alone(dqe: DqeClient) -> None:
    assert_error(await send(dqe, "GET", "/IDMOBILE/?%zz"), "01")
    assert_error(await send(dqe, "GET", "/GET/?%zz"), "01")
    assert_error(await send(dqe, "GET", "/ACCESS_TOKEN/?%zz"), "invalid_request")


async def test_percent_zz_in_licence_of_token_request(dqe: DqeClient) -> None:
    target = "/ACCESS_TOKEN/?licence=%zz&client_secret=demo-secret&grant_type=client_idmobile"
    assert_error(await send(dqe, "GET", target), "invalid_client")


async def test_percent_zz_in_token(dqe: DqeClient) -> None:
    target = "/GET/?token=%zz&Licence=100001&scope=numVerify"
    assert_error(await send(dqe, "GET", target), "30")
    target = f"/IDMOBILE/?token=%zz&number={quote(ORANGE)}&name=A&licence=100001&scope=numVerify"
    assert_error(await send(dqe, "GET", target), "30")


async def test_percent_zz_in_number(dqe: DqeClient) -> None:
    token = await dqe.token()
    target = f"/IDMOBILE/?number=%zz&token={token}&name=A&licence=100001&scope=numVerify"
    assert_error(await send(dqe, "GET", target), "10")


# Queries a person wrote that no parser reads as parameters: bad escapes, bare separators.
ODD_QUERIES = ["%", "%%", "a=%", "=x", "&&&", "a=%ff%fe", "a=%C3%28", "number=%00", "?&=&?"]


async def test_odd_queries_never_break(dqe: DqeClient) -> None:
    """Every odd query on every endpoint is that endpoint's decode error (docs/limits.md)."""
    rows = Rows()
    for endpoint in ENDPOINTS:
        for query in ODD_QUERIES:
            with rows.row(endpoint, query):
                reply = await send(dqe, "GET", f"/{endpoint}/?{query}")
                assert_error(reply, decode_error(endpoint))
    rows.check(len(ENDPOINTS) * len(ODD_QUERIES))


async def test_invalid_utf8_escape_in_query_value(dqe: DqeClient) -> None:
    # Refused as unreadable (issue 10, item 7), no longer decoded to U+FFFD and compared.
    target = "/ACCESS_TOKEN/?licence=%ff&client_secret=demo-secret&grant_type=client_idmobile"
    assert_error(await send(dqe, "GET", target), "invalid_request")


async def test_repeated_keys_first_value_wins(dqe: DqeClient) -> None:
    first_good = (
        "licence=100001&licence=999999&client_secret=demo-secret&grant_type=client_idmobile"
    )
    reply = await send(dqe, "GET", f"/ACCESS_TOKEN/?{first_good}")
    assert_documented(reply)
    assert reply.status == 200
    first_bad = "licence=999999&licence=100001&client_secret=demo-secret&grant_type=client_idmobile"
    assert_error(await send(dqe, "GET", f"/ACCESS_TOKEN/?{first_bad}"), "invalid_client")


async def test_repeated_keys_in_form_body(dqe: DqeClient) -> None:
    body = "grant_type=client_idmobile&grant_type=password&licence=100001&client_secret=demo-secret"
    reply = await send(dqe, "POST", "/ACCESS_TOKEN/", body, FORM)
    assert_documented(reply)
    assert reply.status == 200


async def test_repeated_scope_on_get(dqe: DqeClient) -> None:
    params = await valid_params(dqe, "GET")
    target = f"/GET/?{urlencode(params)}&scope=formfilling"
    reply = await send(dqe, "GET", target)
    assert_documented(reply)
    assert reply.body == {"status": "pending", "scope": "numVerify"}


# --- bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_invalid_utf8_form_body(dqe: DqeClient, endpoint: str) -> None:
    params = await valid_params(dqe, endpoint)
    body = urlencode(params).encode() + b"&name=\xff\xfe\xfa"
    reply = await send(dqe, "POST", f"/{endpoint}/", body, FORM)
    assert_error(reply, decode_error(endpoint))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_form_body_with_unknown_charset(dqe: DqeClient, endpoint: str) -> None:
    params = await valid_params(dqe, endpoint)
    reply = await send(
        dqe, "POST", f"/{endpoint}/", urlencode(params), f"{FORM}; charset=no-such-charset"
    )
    assert_error(reply, decode_error(endpoint))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_form_body_with_explicit_utf8_charset(dqe: DqeClient, endpoint: str) -> None:
    params = await valid_params(dqe, endpoint)
    reply = await send(dqe, "POST", f"/{endpoint}/", urlencode(params), f"{FORM}; charset=UTF-8")
    assert_documented(reply)
    assert reply.status == 200
    assert reply.error_id is None, reply.body


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_multipart_form_accepted(dqe: DqeClient, endpoint: str) -> None:
    params = await valid_params(dqe, endpoint)
    form = FormData()
    for key, value in params.items():
        form.add_field(key, value)
    reply = await send(dqe, "POST", f"/{endpoint}/", form)
    assert_documented(reply)
    assert reply.status == 200
    assert reply.error_id is None, reply.body


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_broken_multipart_body(dqe: DqeClient, endpoint: str) -> None:
    body = b"--xx\r\nnot a header line\r\n\r\nvalue\r\n--xx--\r\n"
    reply = await send(dqe, "POST", f"/{endpoint}/", body, "multipart/form-data; boundary=xx")
    assert_error(reply, decode_error(endpoint))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_json_object_body_accepted(dqe: DqeClient, endpoint: str) -> None:
    params = await valid_params(dqe, endpoint)
    reply = await send(dqe, "POST", f"/{endpoint}/", json.dumps(params), "application/json")
    assert_documented(reply)
    assert reply.status == 200
    assert reply.error_id is None, reply.body


async def test_json_body_with_user_infos_as_object(dqe: DqeClient) -> None:
    params: dict[str, Any] = await valid_params(dqe, "IDMOBILE")
    params["scope"] = "matching_notp"
    params["user_infos"] = json.loads(user_infos(phone=ORANGE, lastname="Dupont"))
    reply = await send(dqe, "POST", "/IDMOBILE/", json.dumps(params), "application/json")
    assert_documented(reply)
    assert reply.body["family_name"] == 1.0


# JSON bodies that are not one readable object (written by hand, one of each kind).
BAD_JSON = {
    "broken": b"{bad",
    "empty": b"",
    "array": b"[1, 2]",
    "string": b'"text"',
    "null": b"null",
    "truncated": b'{"licence": "100001"',
    "not-utf8": b'\xff\xfe{"a": 1}',
    "deeply-nested": b"[" * 5000 + b"]" * 5000,
    "deeply-nested-object": b'{"a": ' * 3000 + b"1" + b"}" * 3000,
}


async def test_bad_json_body(dqe: DqeClient) -> None:
    """Every bad JSON body on every endpoint is that endpoint's decode error."""
    rows = Rows()
    for endpoint in ENDPOINTS:
        for kind, body in BAD_JSON.items():
            with rows.row(endpoint, kind):
                reply = await send(dqe, "POST", f"/{endpoint}/", body, "application/json")
                assert_error(reply, decode_error(endpoint))
    rows.check(len(ENDPOINTS) * len(BAD_JSON))


@pytest.mark.parametrize("ctype", ["text/plain", "application/xml", "application/octet-stream"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_unsupported_content_type(dqe: DqeClient, endpoint: str, ctype: str) -> None:
    params = await valid_params(dqe, endpoint)
    reply = await send(dqe, "POST", f"/{endpoint}/", urlencode(params), ctype)
    assert_error(reply, decode_error(endpoint))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_post_without_body_is_missing_parameters(dqe: DqeClient, endpoint: str) -> None:
    reply = await send(dqe, "POST", f"/{endpoint}/", b"", FORM)
    assert_error(reply, decode_error(endpoint))


HUGE = [
    pytest.param(FORM, b"a=" + b"x" * (MAX_BODY + 1), id="form"),
    pytest.param("application/json", b'{"a": "' + b"x" * (MAX_BODY + 1) + b'"}', id="json"),
    pytest.param("text/plain", b"x" * (MAX_BODY + 1), id="text"),
]


@pytest.mark.parametrize(("ctype", "body"), HUGE)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_huge_body_is_413(dqe: DqeClient, endpoint: str, ctype: str, body: bytes) -> None:
    reply = await send(dqe, "POST", f"/{endpoint}/", body, ctype)
    assert reply.status != 500
    assert reply.status == 413


@pytest.mark.parametrize(("ctype", "body"), HUGE)
@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_huge_body_answer_is_json(
    dqe: DqeClient, endpoint: str, ctype: str, body: bytes
) -> None:
    reply = await send(dqe, "POST", f"/{endpoint}/", body, ctype)
    assert reply.status == 413
    assert reply.content_type == "application/json", reply.text[:200]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_body_just_under_the_limit_is_read(dqe: DqeClient, endpoint: str) -> None:
    params = await valid_params(dqe, endpoint)
    body = urlencode(params)
    body += "&padding=" + "x" * (MAX_BODY - len(body) - len("&padding=") - 1)
    assert len(body) < MAX_BODY
    reply = await send(dqe, "POST", f"/{endpoint}/", body, FORM)
    assert_documented(reply)
    assert reply.status == 200
    assert reply.error_id is None, reply.body


# --- strange values in every parameter ----------------------------------------------------


NASTY = [
    "",
    " ",
    "\x00",
    "\t\r\n",
    "%",
    "%zz",
    "null",
    "[]",
    "{}",
    '{"phone": null}',
    "true",
    "1e309",
    "NaN",
    "-1",
    "0" * 300,
    "+" * 60,
    "A" * 3000,
    "é😀\u202e",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../etc/passwd",
    "javascript:alert(1)",
    "[" * 1500,
    "[" * 1100 + "]" * 1100,
]


async def test_nasty_value_in_each_parameter(dqe: DqeClient) -> None:
    """Each NASTY value in each parameter of each endpoint: never a 500, a documented JSON body.

    The other spelling of the licence (`Licence`, or `licence` on /GET/) is a parameter too.
    The method alternates along the table, so every value and every parameter goes through
    both a query and a form (what decodes them is tested above; here it is the values).
    """
    rows = Rows()
    for endpoint in ENDPOINTS:
        for v, value in enumerate(NASTY):
            params = await valid_params(dqe, endpoint)
            extra = {"Licence": value} if endpoint != "GET" else {"licence": value}
            for k, key in enumerate([*params, *extra]):
                method = METHODS[(v + k) % 2]
                with rows.row(endpoint, method, key, f"NASTY[{v}]"):
                    reply = await dqe.call(endpoint, {**params, key: value}, method)
                    assert reply.status != 500, reply.body
                    assert reply.content_type == "application/json", reply.body
                    assert reply.violations == [], reply.violations
    # 8 keys on /IDMOBILE/ (7 and Licence), 4 on the others: 16 a value.
    rows.check(16 * len(NASTY))


@pytest.mark.parametrize("method", METHODS)
async def test_user_infos_nested_too_deep(dqe: DqeClient, method: str) -> None:
    params = await valid_params(dqe, "IDMOBILE")
    # Deeper than Python's recursion limit, short enough for a request line (8 KiB).
    params["user_infos"] = "[" * 1100 + "]" * 1100
    reply = await dqe.call("IDMOBILE", params, method)
    assert reply.status != 500, reply.body
    assert reply.violations == []
    assert reply.error_id == "06"


async def test_user_infos_with_non_string_values(dqe: DqeClient) -> None:
    params = await valid_params(dqe, "IDMOBILE")
    data = json.loads(user_infos(phone=ORANGE))
    data["birthdate"] = 19850412
    data["gender"] = None
    params["user_infos"] = json.dumps(data)
    reply = await dqe.call("IDMOBILE", params)
    assert reply.violations == []
    assert reply.error_id == "01"


async def test_a_birthdate_that_does_not_exist_is_01(dqe: DqeClient) -> None:
    token = await dqe.token()
    infos = json.dumps({**json.loads(user_infos()), "birthdate": "2020-02-30"})
    reply = await dqe.idmobile(token, ORANGE, "matching_notp", user_infos=infos)
    assert reply.error_id == "01"


async def test_path_without_trailing_slash(dqe: DqeClient) -> None:
    reply = await send(dqe, "GET", f"/ACCESS_TOKEN?{urlencode(TOKEN_PARAMS)}")
    assert_documented(reply)
    assert reply.status == 200
    reply = await send(dqe, "POST", "/ACCESS_TOKEN", urlencode(TOKEN_PARAMS), FORM)
    assert_documented(reply)
    assert reply.status == 200


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_other_methods_are_refused(dqe: DqeClient, endpoint: str, method: str) -> None:
    reply = await send(dqe, method, f"/{endpoint}/", urlencode(TOKEN_PARAMS), FORM)
    assert reply.status != 500
    assert reply.status == 405


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_request_line_too_long_is_not_a_500(dqe: DqeClient, endpoint: str) -> None:
    reply = await send(dqe, "GET", f"/{endpoint}/?a={'x' * 10000}")
    assert reply.status != 500
    assert 400 <= reply.status < 500


# --- the consent step -----------------------------------------------------------------------


async def consent_url(dqe: DqeClient) -> str:
    token = await dqe.token()
    started = await dqe.idmobile(token, ORANGE, "formfilling")
    assert started.violations == []
    return str(started.body["url"])


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_unknown_consent_session_is_404(dqe: DqeClient, method: str) -> None:
    reply = await send(dqe, method, "/operator/orange/consent/s000000000000000000000000")
    assert reply.status == 404


async def test_consent_session_of_a_reset_mock_is_404(dqe: DqeClient, state: MockState) -> None:
    url = await consent_url(dqe)
    state.reset()
    status, location, _ = await dqe.visit(url)
    assert (status, location) == (404, None)


@pytest.mark.parametrize("decision", ["maybe", "APPROVE", "approve "])
async def test_invalid_decision_is_400(dqe: DqeClient, state: MockState, decision: str) -> None:
    url = await consent_url(dqe)
    status, location, _ = await dqe.visit(url, decision=decision)
    assert (status, location) == (400, None)
    session = next(iter(state.sessions.all()))
    assert session.decision is None


async def test_consent_invalid_utf8_body(dqe: DqeClient) -> None:
    url = URL(await consent_url(dqe))
    reply = await send(dqe, "POST", url.path, b"decision=\xff\xfe", FORM)
    assert reply.status != 500, reply.text
    assert reply.status == 400


async def test_consent_broken_multipart_body(dqe: DqeClient) -> None:
    url = URL(await consent_url(dqe))
    body = b"--xx\r\nnot a header line\r\n\r\nvalue\r\n--xx--\r\n"
    reply = await send(dqe, "POST", url.path, body, "multipart/form-data; boundary=xx")
    assert reply.status != 500, reply.text
    assert reply.status == 400


async def test_consent_huge_body(dqe: DqeClient) -> None:
    url = URL(await consent_url(dqe))
    reply = await send(dqe, "POST", url.path, b"otp=" + b"1" * (MAX_BODY + 1), FORM)
    assert reply.status != 500
    assert reply.status == 413


async def test_consent_after_token_expiry_does_not_redirect(
    dqe: DqeClient, state: MockState
) -> None:
    token = await dqe.token()
    started = await dqe.idmobile(
        token, ORANGE, "numVerify", redirect_uri="https://partner.example/cb"
    )
    state.clock.advance(301)
    status, location, text = await dqe.visit(started.body["url"])
    assert status == 410  # Gone: the request expired with its token
    assert location is None
    assert "<html" in text.lower()


# --- content type of every answer -----------------------------------------------------------


def _requests() -> list[Any]:
    cases: list[Any] = []
    for endpoint in ENDPOINTS:
        cases += [
            pytest.param(endpoint, "GET", "", None, id=f"{endpoint}-GET-empty"),
            pytest.param(endpoint, "POST", "", None, id=f"{endpoint}-POST-empty"),
            pytest.param(endpoint, "POST", "a=b", FORM, id=f"{endpoint}-POST-form"),
            pytest.param(endpoint, "POST", "{}", "application/json", id=f"{endpoint}-POST-json"),
            pytest.param(endpoint, "POST", "x", "text/plain", id=f"{endpoint}-POST-text"),
        ]
    return cases


@pytest.mark.parametrize(("endpoint", "method", "body", "ctype"), _requests())
async def test_every_answer_is_json(
    dqe: DqeClient, endpoint: str, method: str, body: str, ctype: str | None
) -> None:
    reply = await send(dqe, method, f"/{endpoint}/", body or None, ctype)
    assert_documented(reply)
    assert reply.error_id == decode_error(endpoint)


@pytest.mark.parametrize("method", METHODS)
async def test_success_answers_are_json(dqe: DqeClient, method: str) -> None:
    replies: list[Mapping[str, Any]] = []
    for endpoint in ENDPOINTS:
        params = await valid_params(dqe, endpoint)
        reply = await dqe.call(endpoint, params, method)
        assert reply.status == 200
        assert reply.content_type == "application/json"
        assert reply.violations == []
        replies.append(reply.body)
    assert "access_token" in replies[0]
    assert replies[1]["status"] == "success"
    assert replies[2]["status"] == "pending"

"""Issue 10, items 1 and 7: bodies that cannot be read, and text in the wrong encoding.

Whatever the HTTP layer meets while reading a request (a Content-Encoding the body does not
follow, a truncated or unknown one, a decompression bomb, bad chunking, a client that leaves)
is the client's error: 01 on /IDMOBILE/ and /GET/, invalid_request on /ACCESS_TOKEN/, a JSON
400 on the consent form and the admin API; never a 500, always in the journal. Invalid UTF-8,
raw or percent-encoded, in a body or a query string, is refused the same way unless the
Content-Type names the charset it is in.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import zlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer
from aiohttp.typedefs import Handler
from yarl import URL

from mockserver.contract.errors import error_id_of
from mockserver.http.app import create_app
from mockserver.http.proxy import ProxySettings, create_proxy_app
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient, user_infos
from tests.guarded import body_of, exchange, guarded, port_of, status_of

FORM = "application/x-www-form-urlencoded"
ORANGE = "+33639980001"
TOKEN_FORM = "licence=100001&client_secret=demo-secret&grant_type=client_idmobile"
# What each endpoint answers to a request it cannot read (docs/contract-notes.md; issue 10).
DQE_DECODE_ERROR = {"ACCESS_TOKEN": (400, "invalid_request"), "IDMOBILE": (200, "01"), "GET": (200, "01")}  # fmt: skip

# (Content-Encoding, body): bodies that do not decode as they say, each kind once.
UNREADABLE = {
    "gzip-label-on-plain-form": ("gzip", b"licence=1"),
    "deflate-label-on-plain-form": ("deflate", b"licence=1"),
    "gzip-truncated": ("gzip", gzip.compress(TOKEN_FORM.encode())[:12]),
    "gzip-one-byte": ("gzip", b"x"),
    "gzip-trailing-garbage": ("gzip", gzip.compress(TOKEN_FORM.encode()) + b"garbage"),
    "unknown-coding-br": ("br", b"licence=1"),
    "unknown-coding-chain": ("gzip, compress", gzip.compress(TOKEN_FORM.encode())),
}


async def post(
    session: ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> tuple[int, Any]:
    """POST raw bytes with exactly these headers: (status, JSON body)."""
    async with session.post(url, data=body, headers=headers, allow_redirects=False) as response:
        assert response.content_type == "application/json", await response.text()
        return response.status, await response.json()


async def journal(dqe: DqeClient) -> list[dict[str, Any]]:
    async with dqe.session.get(dqe.base_url.with_path("/__admin/journal")) as response:
        entries: list[dict[str, Any]] = (await response.json())["entries"]
        return entries


async def consent_url(dqe: DqeClient) -> str:
    token = await dqe.token()
    reply = await dqe.idmobile(
        token, ORANGE, "formfilling", redirect_uri="https://partner.example/cb"
    )
    assert reply.body["status"] == "success", reply.body
    return str(reply.body["url"])


@pytest.mark.parametrize("kind", sorted(UNREADABLE))
@pytest.mark.parametrize("endpoint", sorted(DQE_DECODE_ERROR))
async def test_unreadable_body_is_the_decode_error_and_journaled(
    dqe: DqeClient, endpoint: str, kind: str
) -> None:
    coding, body = UNREADABLE[kind]
    headers = {"Content-Type": FORM, "Content-Encoding": coding}
    status, answer = await post(dqe.session, str(dqe.base_url.with_path(f"/{endpoint}/")), body, headers)  # fmt: skip
    expected_status, expected_id = DQE_DECODE_ERROR[endpoint]
    assert status == expected_status
    assert error_id_of(answer) == expected_id
    [entry] = await journal(dqe)
    assert (entry["endpoint"], entry["status"], entry["error_id"]) == (
        endpoint,
        status,
        expected_id,
    )


@pytest.mark.parametrize("kind", sorted(UNREADABLE))
async def test_unreadable_body_on_the_consent_form_is_a_json_400(dqe: DqeClient, kind: str) -> None:
    url = await consent_url(dqe)
    coding, body = UNREADABLE[kind]
    status, answer = await post(dqe.session, url, body, {"Content-Type": FORM, "Content-Encoding": coding})  # fmt: skip
    assert status == 400
    assert answer["error"] == "invalid_request"
    assert (await journal(dqe))[-1]["endpoint"] == "consent"
    assert (await journal(dqe))[-1]["status"] == 400


@pytest.mark.parametrize("kind", sorted(UNREADABLE))
async def test_unreadable_body_on_the_admin_api_is_a_json_400(dqe: DqeClient, kind: str) -> None:
    coding, body = UNREADABLE[kind]
    url = str(dqe.base_url.with_path("/__admin/scenarios"))
    status, answer = await post(dqe.session, url, body, {"Content-Encoding": coding})
    assert status == 400
    assert "error" in answer


@pytest.mark.parametrize(
    ("coding", "compress"),
    [("gzip", gzip.compress), ("x-gzip", gzip.compress), ("deflate", zlib.compress),
     ("deflate", lambda b: zlib.compress(b)[2:-4]), ("identity", lambda b: b)],
)  # fmt: skip
async def test_a_valid_compressed_body_is_accepted(
    dqe: DqeClient, coding: str, compress: Any
) -> None:
    headers = {"Content-Type": FORM, "Content-Encoding": coding}
    url = str(dqe.base_url.with_path("/ACCESS_TOKEN/"))
    status, answer = await post(dqe.session, url, compress(TOKEN_FORM.encode()), headers)
    assert status == 200, answer
    assert answer["access_token"].startswith("TK")


@pytest.mark.parametrize("endpoint", [*sorted(DQE_DECODE_ERROR), "__admin/scenarios"])
async def test_a_decompression_bomb_is_413(dqe: DqeClient, endpoint: str) -> None:
    bomb = gzip.compress(b"licence=" + b"0" * (10 * 1024 * 1024))  # 10 MB in ~10 KB
    assert len(bomb) < 64 * 1024
    headers = {"Content-Type": FORM, "Content-Encoding": "gzip"}
    status, answer = await post(dqe.session, str(dqe.base_url.with_path(f"/{endpoint}")), bomb, headers)  # fmt: skip
    assert status == 413
    assert answer["error"] == "request_too_large"


async def test_the_proxy_answers_a_gzip_labelled_garbage_body_with_a_4xx(
    server: TestServer,
) -> None:
    proxy_app = create_proxy_app(ProxySettings(upstream=str(server.make_url("/"))))
    async with TestServer(proxy_app, host="127.0.0.1") as proxy, ClientSession() as session:
        headers = {"Content-Type": FORM, "Content-Encoding": "gzip"}
        status, answer = await post(session, str(proxy.make_url("/IDMOBILE/")), b"licence=1", headers)  # fmt: skip
        assert status == 400
        assert "cannot read the request" in answer["error_description"]
        async with session.get(proxy.make_url("/__proxy/report")) as response:
            report = await response.json()
    assert "cannot read the request" in json.dumps(report)


# --- bodies that stop: bad chunking, a client that leaves (raw sockets) --------------------


HANDLED = asyncio.Event()  # replaced per test by the fixture below


@pytest.fixture
async def port() -> AsyncIterator[int]:
    """The mock under the CLI's runner; HANDLED is set when a request reaches the app."""
    global HANDLED
    HANDLED = asyncio.Event()
    app = create_app(Settings(seed=7, frozen_clock=True))

    @web.middleware
    async def entered(request: web.Request, handler: Handler) -> web.StreamResponse:
        HANDLED.set()
        return await handler(request)

    app.middlewares.append(entered)
    async with guarded(app, header_timeout=5) as runner:
        yield port_of(runner)


def head(path: str, *lines: str) -> bytes:
    return "\r\n".join([f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *lines, "", ""]).encode()


async def send_in_two(port: int, first: bytes, second: bytes) -> bytes:
    """first, then, once the app handles the request (reading its body), second."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(first)
        await writer.drain()
        async with asyncio.timeout(10):
            await HANDLED.wait()
        writer.write(second)
        await writer.drain()
        async with asyncio.timeout(10):
            return await reader.read()
    finally:
        writer.close()


@pytest.mark.parametrize("endpoint", sorted(DQE_DECODE_ERROR))
async def test_bad_chunking_after_the_headers_is_the_decode_error(port: int, endpoint: str) -> None:
    chunked = head(f"/{endpoint}/", f"Content-Type: {FORM}", "Transfer-Encoding: chunked")
    answer = await send_in_two(port, chunked + b"9\r\nlicence=1\r\n", b"zz\r\n\r\n")
    expected_status, expected_id = DQE_DECODE_ERROR[endpoint]
    assert status_of(answer) == expected_status, answer
    body = json.loads(body_of(answer))
    assert error_id_of(body) == expected_id
    assert answer.count(b"HTTP/1.1") == 1  # the parse error is not answered a second time


@pytest.mark.parametrize("endpoint", sorted(DQE_DECODE_ERROR))
async def test_bad_chunking_with_the_headers_is_a_json_400(port: int, endpoint: str) -> None:
    chunked = head(f"/{endpoint}/", f"Content-Type: {FORM}", "Transfer-Encoding: chunked")
    answer = await exchange(port, chunked + b"9\r\nlicence=1\r\nzz\r\n\r\n")
    assert status_of(answer) == 400
    assert json.loads(body_of(answer))["error"] == "bad_request"


@pytest.mark.parametrize("endpoint", sorted(DQE_DECODE_ERROR))
async def test_a_client_leaving_mid_body_is_journaled_without_a_traceback(
    port: int, endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    partial = head(f"/{endpoint}/", f"Content-Type: {FORM}", "Content-Length: 100") + b"licence="
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(partial)
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    url = f"http://127.0.0.1:{port}/__admin/journal"
    async with ClientSession() as session:
        async with asyncio.timeout(10):
            while True:  # the server notices the hang-up on its own schedule: poll
                async with session.get(url) as response:
                    entries = (await response.json())["entries"]
                if entries:
                    break
                await asyncio.sleep(0.02)
    [entry] = entries
    assert entry["endpoint"] == endpoint
    assert entry["error_id"] == DQE_DECODE_ERROR[endpoint][1]
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# --- item 7: encodings --------------------------------------------------------------------


def latin1_user_infos() -> str:
    """user_infos with a last name outside ASCII, written as the character (not \\u00f6)."""
    return json.dumps(json.loads(user_infos(lastname="Dupönt")), ensure_ascii=False)


def idmobile_form(token: str, infos_encoded: str) -> str:
    fields = {"licence": "100001", "token": token, "mode": "2", "name": "ACME",
              "scope": "matching_notp", "number": ORANGE}  # fmt: skip
    return urlencode(fields) + "&user_infos=" + infos_encoded


async def test_percent_encoded_latin1_without_charset_is_01(dqe: DqeClient) -> None:
    token = await dqe.token()
    body = idmobile_form(token, quote(latin1_user_infos(), encoding="latin-1"))
    assert "Dup%F6nt" in body
    status, answer = await post(dqe.session, str(dqe.base_url.with_path("/IDMOBILE/")), body.encode(), {"Content-Type": FORM})  # fmt: skip
    assert (status, answer["error_id"]) == (200, "01")
    [*_, entry] = await journal(dqe)
    assert entry["error_id"] == "01"


@pytest.mark.parametrize("raw", [False, True], ids=["percent-encoded", "raw-bytes"])
async def test_latin1_with_its_charset_is_read_as_latin1(dqe: DqeClient, raw: bool) -> None:
    token = await dqe.token()
    infos = latin1_user_infos()
    body = idmobile_form(token, quote(infos, encoding="latin-1")).encode()
    if raw:
        body = body.replace(b"Dup%F6nt", b"Dup\xf6nt")
    assert (b"Dup\xf6nt" if raw else b"Dup%F6nt") in body
    latin = f"{FORM}; charset=ISO-8859-1"
    status, answer = await post(dqe.session, str(dqe.base_url.with_path("/IDMOBILE/")), body, {"Content-Type": latin})  # fmt: skip
    [*_, entry] = await journal(dqe)
    assert json.loads(entry["params"]["user_infos"])["lastname"] == "Dupönt"
    # The same user_infos sent in UTF-8 (the documented encoding) is the oracle.
    utf8 = idmobile_form(await dqe.token(), quote(infos)).encode()
    _, expected = await post(dqe.session, str(dqe.base_url.with_path("/IDMOBILE/")), utf8, {"Content-Type": FORM})  # fmt: skip
    assert status == 200
    assert "error_id" not in answer, answer
    assert answer == expected
    assert "family_name" in answer


async def test_raw_latin1_bytes_without_charset_is_01(dqe: DqeClient) -> None:
    token = await dqe.token()
    body = idmobile_form(token, "").encode() + b"%7B%22lastname%22%3A%22Dup\xf6nt%22%7D"
    status, answer = await post(dqe.session, str(dqe.base_url.with_path("/IDMOBILE/")), body, {"Content-Type": FORM})  # fmt: skip
    assert (status, answer["error_id"]) == (200, "01")


@pytest.mark.parametrize("where", ["query", "body"])
@pytest.mark.parametrize("endpoint", sorted(DQE_DECODE_ERROR))
async def test_invalid_utf8_escapes_are_the_decode_error(
    dqe: DqeClient, endpoint: str, where: str
) -> None:
    params = "licence=100001&client_secret=demo-secret&grant_type=client_idmobile&name=Dup%F6nt"
    url = dqe.base_url.with_path(f"/{endpoint}/")
    if where == "query":
        target = URL(f"{url}?{params}", encoded=True)
        async with dqe.session.get(target, allow_redirects=False) as response:
            status, answer = response.status, await response.json()
    else:
        status, answer = await post(dqe.session, str(url), params.encode(), {"Content-Type": FORM})
    assert (status, error_id_of(answer)) == DQE_DECODE_ERROR[endpoint]
    assert (await journal(dqe))[-1]["status"] == status


async def test_invalid_utf8_on_the_consent_form_is_a_json_400(dqe: DqeClient) -> None:
    url = await consent_url(dqe)
    status, answer = await post(
        dqe.session, url, b"decision=approve&otp=%F6", {"Content-Type": FORM}
    )
    assert status == 400
    assert answer["error"] == "invalid_request"
    assert "utf-8" in answer["error_description"]


async def test_an_unknown_charset_is_the_decode_error(dqe: DqeClient) -> None:
    url = str(dqe.base_url.with_path("/ACCESS_TOKEN/"))
    status, answer = await post(dqe.session, url, TOKEN_FORM.encode(), {"Content-Type": f"{FORM}; charset=klingon"})  # fmt: skip
    assert (status, answer["error"]) == (400, "invalid_request")

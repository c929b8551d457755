"""Charsets a body may name: only character sets for form data, never any Python codec.

A hostile review found `charset=punycode` (or `undefined`) gave a 500 with a traceback on
every endpoint, the consent form, the admin API and through the proxy, and that
`charset=unicode_escape` silently turned the text into another. The oracle is the rule in
docs/limits.md "Reading requests": a charset that is not a character set for form data is the
endpoint's decode error (01, invalid_request, a JSON 400).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from mockserver.contract.errors import error_id_of
from mockserver.http.proxy import ProxySettings, create_proxy_app
from mockserver.testing.client import DqeClient
from tests.table import Rows
from tests.test_reading_bodies import DQE_DECODE_ERROR, FORM, TOKEN_FORM, consent_url, journal

# Python codecs that are not character sets for form data (the review's list and kin).
NOT_CHARSETS = ["punycode", "undefined", "unicode_escape", "raw_unicode_escape", "utf-7",
                "cp037", "idna", "rot13", "base64", "hex", "zlib", "utf-16", "utf-32"]  # fmt: skip


async def post(session: ClientSession, url: str, body: bytes, ctype: str) -> tuple[int, Any]:
    async with session.post(url, data=body, headers={"Content-Type": ctype}) as response:
        assert response.content_type == "application/json", await response.text()
        return response.status, await response.json()


def multipart(charset: str) -> tuple[bytes, str]:
    body = (
        '--b\r\nContent-Disposition: form-data; name="licence"\r\n'
        f"Content-Type: text/plain; charset={charset}\r\n\r\n100001\r\n--b--\r\n"
    )
    return body.encode(), "multipart/form-data; boundary=b"


async def test_a_codec_that_is_no_charset_is_the_decode_error(dqe: DqeClient) -> None:
    """Each codec of NOT_CHARSETS on each endpoint: the decode error, journaled with its status."""
    rows = Rows()
    for endpoint, expected in sorted(DQE_DECODE_ERROR.items()):
        url = str(dqe.base_url.with_path(f"/{endpoint}/"))
        for charset in NOT_CHARSETS:
            with rows.row(endpoint, charset):
                ctype = f"{FORM}; charset={charset}"
                status, answer = await post(dqe.session, url, TOKEN_FORM.encode(), ctype)
                assert (status, error_id_of(answer)) == expected
                assert (await journal(dqe))[-1]["status"] == status
    rows.check(len(DQE_DECODE_ERROR) * len(NOT_CHARSETS))


@pytest.mark.parametrize("charset", ["punycode", "unicode_escape", "bogus"])
async def test_a_multipart_field_in_a_codec_that_is_no_charset_is_01(
    dqe: DqeClient, charset: str
) -> None:
    body, ctype = multipart(charset)
    status, answer = await post(dqe.session, str(dqe.base_url.with_path("/IDMOBILE/")), body, ctype)
    assert (status, answer["error_id"]) == (200, "01")
    assert (await journal(dqe))[-1]["error_id"] == "01"


async def test_a_multipart_field_in_its_own_charset_is_read(dqe: DqeClient) -> None:
    body = (
        b'--b\r\nContent-Disposition: form-data; name="licence"\r\n\r\n100001\r\n'
        b'--b\r\nContent-Disposition: form-data; name="client_secret"\r\n\r\ndemo-secret\r\n'
        b'--b\r\nContent-Disposition: form-data; name="grant_type"\r\n'
        b"Content-Type: text/plain; charset=windows-1252\r\n\r\nclient_idmobile\r\n--b--\r\n"
    )
    url = str(dqe.base_url.with_path("/ACCESS_TOKEN/"))
    status, answer = await post(dqe.session, url, body, "multipart/form-data; boundary=b")
    assert status == 200, answer
    assert answer["access_token"].startswith("TK")


@pytest.mark.parametrize("charset", ["punycode", "undefined"])
async def test_the_consent_form_and_admin_api_answer_a_json_400(
    dqe: DqeClient, charset: str
) -> None:
    url = await consent_url(dqe)
    status, answer = await post(dqe.session, url, b"decision=approve", f"{FORM}; charset={charset}")
    assert (status, answer["error"]) == (400, "invalid_request")
    admin = str(dqe.base_url.with_path("/__admin/scenarios"))
    status, answer = await post(dqe.session, admin, b"version: 1", f"application/yaml; charset={charset}")  # fmt: skip
    assert status == 400
    assert charset in answer["error"]


@pytest.mark.parametrize("charset", ["windows-1252", "iso-8859-15", "cp1252", "latin1"])
async def test_form_charsets_are_read(dqe: DqeClient, charset: str) -> None:
    url = str(dqe.base_url.with_path("/ACCESS_TOKEN/"))
    status, answer = await post(dqe.session, url, TOKEN_FORM.encode(), f"{FORM}; charset={charset}")
    assert status == 200, answer


async def test_the_proxy_answers_a_codec_that_is_no_charset_as_the_endpoint_would(
    server: TestServer,
) -> None:
    proxy_app = create_proxy_app(ProxySettings(upstream=str(server.make_url("/"))))
    async with TestServer(proxy_app, host="127.0.0.1") as proxy, ClientSession() as session:
        status, answer = await post(session, str(proxy.make_url("/IDMOBILE/")), b"licence=1", f"{FORM}; charset=punycode")  # fmt: skip
        async with session.get(proxy.make_url("/__proxy/report")) as response:
            report = await response.json()
    assert (status, answer["error_id"]) == (200, "01")
    assert "punycode" in json.dumps(report)

"""Handlers of the documented endpoints: decode, call the domain, encode."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from mockserver.contract.errors import DqeError
from mockserver.contract.schemas import contract
from mockserver.domain.sessions import Session
from mockserver.http.decode import DecodeError, decode
from mockserver.http.keys import SERVICE, SETTINGS, call_of
from mockserver.http.operator import consent_url

log = logging.getLogger("dqe_mock.http")


async def _params(request: web.Request, decode_error: str) -> dict[str, str]:
    try:
        return await decode(request)
    except DecodeError as exc:
        raise DqeError(decode_error, reason=str(exc)) from exc


def _answer(request: web.Request, schema: str, body: dict[str, Any]) -> web.Response:
    if request.app[SETTINGS].check_responses:
        for violation in contract().validate_response(schema, body):
            log.error("CONTRACT VIOLATION in the mock's own %s response: %s", schema, violation)
    return web.json_response(body)


async def access_token(request: web.Request) -> web.Response:
    """/ACCESS_TOKEN/"""
    params = await _params(request, "invalid_request")
    body = request.app[SERVICE].issue_token(params, call_of(request))
    return _answer(request, "access_token", body)


async def idmobile(request: web.Request) -> web.Response:
    """/IDMOBILE/"""
    params = await _params(request, "01")

    def url_for(session: Session) -> str:
        return consent_url(request, session)

    body = request.app[SERVICE].initiate(params, url_for, call_of(request))
    return _answer(request, "idmobile", body)


async def get_result(request: web.Request) -> web.Response:
    """/GET/"""
    params = await _params(request, "01")
    return _answer(request, "get", request.app[SERVICE].retrieve(params, call_of(request)))

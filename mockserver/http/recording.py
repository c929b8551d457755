"""The journal middleware: every documented request, what it matched, what it got, the verdict.

It runs outside the namespace guard, so a refused X-Dqe-Namespace (400) is journaled too; HEAD
is not journaled (http/safe.py). Every error answer carries its reason: a DqeError's, set where
it is rendered (middleware.dqe_errors), or the HTTP layer's 4xx message, which is also a
request violation (the request, not a scenario, caused it).
"""

from __future__ import annotations

import json
import logging
import re
from http import HTTPStatus
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from mockserver.contract.errors import error_id_of
from mockserver.domain.journal import MAX_TEXT_RESPONSE, JournalEntry, redact
from mockserver.http.decode import DecodeError, decode
from mockserver.http.keys import (
    ADMIN_PREFIX,
    ANSWER,
    STATE,
    STORE,
    call_of,
    endpoint_of,
    new_call,
)
from mockserver.store.base import StoreUnavailable

log = logging.getLogger("dqe_mock.journal")
UNMATCHED = "unmatched"
_TITLE = re.compile(r"<title>([^<]{1,200})</title>", re.IGNORECASE)


@web.middleware
async def journal(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record each request to the documented endpoints and the consent step, and any other
    request but the admin API's and the mock's own pages (answered below 400)."""
    endpoint = endpoint_of(request)
    if request.method == "HEAD":
        return await handler(request)
    if endpoint is None and request.path.startswith(ADMIN_PREFIX):
        return await handler(request)
    call = new_call(request)
    if endpoint is None:
        # Anything else a client sends is journaled too: the pytest plugin fails the test.
        endpoint = UNMATCHED
        call.request_violations = (f"{request.method} {request.path} is not an ID Mobile endpoint",)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        await _record(request, endpoint, exc)
        raise
    if endpoint == UNMATCHED and response.status < 400:
        # One of the mock's own pages (/docs, /openapi.json, /schemas/..., the / page):
        # reading the contract is no client request, and no violation of it.
        return response
    await _record(request, endpoint, response)
    return response


async def _record(request: web.Request, endpoint: str, response: web.StreamResponse) -> None:
    state = request.app[STATE]
    call = call_of(request)
    if endpoint == "consent":
        session = state.sessions.by_id(request.match_info["session_id"])
        if session is not None:
            call.namespace, call.token, call.scenario_id = (
                session.namespace,
                session.token,
                session.scenario_id,
            )
    try:
        params = await decode(request)
    except (DecodeError, web.HTTPException):
        params = {}
    body = _body(response)
    status = 0 if getattr(response, "silent", False) else response.status
    reason, http_layer = _error_reason(request, status, body)
    entry = JournalEntry(
        id=state.journal.next_id(),
        at=state.clock.now(),
        namespace=call.namespace,
        method=request.method,
        path=request.path,
        endpoint=endpoint,
        params=redact(params),
        status=status,
        response=body,
        scenario_id=call.scenario_id,
        token=call.token,
        error_id=error_id_of(body),
        fault=call.fault,
        request_violations=call.request_violations,
        error_reason=reason,
        notes=call.notes,
        http_layer=http_layer,
    )
    try:
        await request.app[STORE].record(entry)
    except StoreUnavailable as exc:  # the answer already says so (a 503), or was given
        log.debug("not journaled: %s", exc.message)


def _error_reason(request: web.Request, status: int, body: Any) -> tuple[str | None, bool]:
    """Why an error was answered (None for any other answer), and whether the HTTP layer
    answered it. A DqeError's reason is set where it is rendered; the HTTP layer's 4xx is
    also the client's request violation; a 5xx that no fault asked for is the mock's bug."""
    call = call_of(request)
    reason = call.error_reason
    if reason is not None or status < 400 or call.fault is not None:
        return reason, False
    reason = _http_reason(status, body)
    if status >= 500:
        return reason, False
    call.request_violations += (reason,)
    return reason, True


def _http_reason(status: int, body: Any) -> str:
    """The HTTP layer's 4xx as a sentence: `HTTP 405 method_not_allowed: what it said`."""
    if isinstance(body, dict):
        code, said = body.get("error") or "", body.get("error_description") or ""
        return f"HTTP {status} {code}: {said}".replace(" :", ":").rstrip(": ")
    # A page (the consent step's): its title says what went wrong.
    title = _TITLE.search(str(body or ""))
    said = title.group(1).strip() if title else _phrase(status)
    return f"HTTP {status}: {said}"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "client error"


def _body(response: web.StreamResponse) -> Any:
    if ANSWER in response:
        return response[ANSWER]
    if not isinstance(response, web.Response) or response.body is None:
        return None
    raw = response.body
    if not isinstance(raw, bytes | bytearray):
        return None
    text = bytes(raw).decode("utf-8", errors="replace")
    if response.content_type == "application/json":
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text[:MAX_TEXT_RESPONSE]

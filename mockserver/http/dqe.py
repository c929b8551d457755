"""Handlers of the documented endpoints: decode, call the domain, encode."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from mockserver.contract.conformance import Note, RequestShape, lenient_notes
from mockserver.contract.errors import DqeError
from mockserver.contract.schemas import contract
from mockserver.domain.sessions import Session
from mockserver.http.body import read_body
from mockserver.http.decode import (
    FORM_TYPES,
    URLENCODED,
    DecodeError,
    decode,
    form_pairs,
    json_repeats,
    query_pairs,
)
from mockserver.http.keys import SERVICE, SETTINGS, call_of, json_answer, transition
from mockserver.http.operator import consent_url

log = logging.getLogger("dqe_mock.http")


async def _params(request: web.Request, endpoint: str) -> dict[str, str]:
    decode_error = "invalid_request" if endpoint == "ACCESS_TOKEN" else "01"
    call = call_of(request)
    try:
        params = await decode(request)
    except DecodeError as exc:
        # The request cannot be read: the client broke the contract, whatever the mode.
        call.request_violations += (f"the request cannot be read: {exc}",)
        raise DqeError(decode_error, reason=str(exc)) from exc
    notes = await _notes(request, endpoint, params)
    call.notes = notes
    if request.app[SETTINGS].strict:
        call.request_violations += tuple(note.message for note in notes)
    return params


# The notes are a pure function of how the request arrived (method, path, query, body type and
# bytes): memoised for requests without a body or with a short urlencoded one, the same
# request sent again (a poll, a retry, a load test) costs a lookup. At most NOTES_CACHE_SIZE
# keys of at most NOTES_CACHE_BYTES of query and body, then cleared.
NOTES_CACHE_SIZE = 64
NOTES_CACHE_BYTES = 4096
_NOTES: dict[tuple[str, ...], tuple[Note, ...]] = {}


async def _notes(request: web.Request, endpoint: str, params: dict[str, str]) -> tuple[Note, ...]:
    """What the mock accepted leniently but a real server may not (journaled in every mode)."""
    key = await _arrival(request, endpoint)
    notes = _NOTES.get(key) if key else None
    if notes is None:
        notes = tuple(await _found_notes(request, endpoint, params))
        if key:
            if len(_NOTES) >= NOTES_CACHE_SIZE:
                _NOTES.clear()
            _NOTES[key] = notes
    return notes


async def _arrival(request: web.Request, endpoint: str) -> tuple[str, ...] | None:
    """How the request arrived, as a key of _NOTES; None when it is not memoised."""
    query = request.rel_url.raw_query_string
    plain = (endpoint, request.method, request.path, query)
    if request.method != "POST" or not request.body_exists:
        return plain if len(query) <= NOTES_CACHE_BYTES else None
    if request.content_type != URLENCODED:
        return None
    body = await read_body(request)  # already read (and memoised) by decode
    if len(query) + len(body) > NOTES_CACHE_BYTES:
        return None
    encoding = request.headers.get("Content-Encoding", "")
    return (*plain, request.charset or "", encoding, body.decode("latin-1"))


async def _found_notes(request: web.Request, endpoint: str, params: dict[str, str]) -> list[Note]:
    query = query_pairs(request)
    sources = [[k for k, _ in query]]
    body = request.method == "POST" and request.body_exists
    if body and request.content_type in FORM_TYPES:  # as decode reads it: a body, a form
        sources.append([k for k, _ in await form_pairs(request)])
    repeated = [k for keys in sources for k in set(keys) if keys.count(k) > 1]
    repeated += json_repeats(request)
    shape = RequestShape(
        endpoint,
        request.method,
        params,
        content_type=request.content_type if body else "",
        path=request.path,
        charset=(request.charset or "") if body else "",
        content_encoding=request.headers.get("Content-Encoding", "") if body else "",
        query_keys=tuple(k for k, _ in query) if request.method == "POST" else (),
        repeated=tuple(sorted(set(repeated))),
    )
    return lenient_notes(shape)


def _answer(request: web.Request, schema: str, body: dict[str, Any]) -> web.Response:
    if request.app[SETTINGS].check_responses:
        for violation in contract().validate_response(schema, body):
            log.error("CONTRACT VIOLATION in the mock's own %s response: %s", schema, violation)
    return json_answer(body)


async def access_token(request: web.Request) -> web.Response:
    """/ACCESS_TOKEN/"""
    params = await _params(request, "ACCESS_TOKEN")
    service = request.app[SERVICE]
    body = await transition(
        request, "ACCESS_TOKEN", params, lambda call: service.issue_token(params, call)
    )
    return _answer(request, "access_token", body)


async def idmobile(request: web.Request) -> web.Response:
    """/IDMOBILE/"""
    params = await _params(request, "IDMOBILE")

    def url_for(session: Session) -> str:
        return consent_url(request, session)

    service = request.app[SERVICE]
    body = await transition(
        request, "IDMOBILE", params, lambda call: service.initiate(params, url_for, call)
    )
    return _answer(request, "idmobile", body)


async def get_result(request: web.Request) -> web.Response:
    """/GET/"""
    params = await _params(request, "GET")
    service = request.app[SERVICE]
    body = await transition(request, "GET", params, lambda call: service.retrieve(params, call))
    return _answer(request, "get", body)

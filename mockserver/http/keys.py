"""Typed application and request keys."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import orjson
from aiohttp import web

from mockserver.domain.service import Call, IdMobile, MockState
from mockserver.http.watch_signal import ReloadSignal
from mockserver.settings import Settings
from mockserver.store.base import NOTHING, StateStore, Touch

_T = TypeVar("_T")

SETTINGS = web.AppKey("settings", Settings)
STATE = web.AppKey("state", MockState)
SERVICE = web.AppKey("service", IdMobile)
# Where the state lives (store/base.py): every read or change of it goes through here.
STORE = web.AppKey("store", StateStore)
RELOADS = web.AppKey("reloads", ReloadSignal)
CALL = web.RequestKey("call", Call)
# What StateStore.begin() read at the request's start, for the handler's transition.
PREFETCH = web.RequestKey("prefetch", object)
# The object a JSON answer was encoded from, kept on the response so the journal records it
# without decoding the bytes again.
ANSWER: web.ResponseKey[Any] = web.ResponseKey("answer")


def json_answer(body: Any, status: int = 200) -> web.Response:
    """web.json_response(body, status) that remembers `body` (ANSWER) for the journal.

    Encoded by orjson (UTF-8, no spaces; ~5x faster than json.dumps on an answer), or by
    json.dumps for what orjson refuses (an integer past 64 bits, a key that is not text).
    """
    try:
        encoded = orjson.dumps(body)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        encoded = json.dumps(body).encode()
    response = web.Response(
        body=encoded, status=status, content_type="application/json", charset="utf-8"
    )
    response[ANSWER] = body
    return response


NAMESPACE_HEADER = "X-Dqe-Namespace"
ENDPOINTS = {"/ACCESS_TOKEN": "ACCESS_TOKEN", "/IDMOBILE": "IDMOBILE", "/GET": "GET"}
CONSENT_PREFIX = "/operator/"
# The control API's paths (never DQE's): one prefix, read by the admin routes, the
# journal (which skips them), the namespace guard and the Expect handler.
ADMIN_PREFIX = "/__admin"


def endpoint_of(request: web.Request) -> str | None:
    """ACCESS_TOKEN, IDMOBILE, GET or consent; None for admin and unknown paths."""
    path = request.path.rstrip("/")
    if path in ENDPOINTS:
        return ENDPOINTS[path]
    if path.startswith(CONSENT_PREFIX) and "session_id" in request.match_info:
        return "consent"
    return None


def new_call(request: web.Request) -> Call:
    """A fresh Call for `request` (the journal middleware starts each documented request's)."""
    call = request[CALL] = Call(namespace_hint=request.headers.get(NAMESPACE_HEADER) or None)
    return call


def call_of(request: web.Request) -> Call:
    """The request's Call, created on first use (namespace hint from the header, validated by
    namespaces.namespace_guard)."""
    # Not `CALL in request`: a request's Mapping.__contains__ raises and catches a KeyError
    # for an absent key, which cost ~5 % of a request when it ran on every call.
    try:
        return request[CALL]
    except KeyError:  # a route the journal does not see (admin, HEAD)
        return new_call(request)


def touch_of(request: web.Request, endpoint: str, params: Mapping[str, str]) -> Touch:
    """The records a request of `endpoint` reads or changes (store/base.py Touch): its token
    (/IDMOBILE/, /GET/), the consent url's session, and whether it issues new values."""
    if endpoint == "GET":
        return Touch.of([params.get("token")])
    if endpoint == "IDMOBILE":
        return Touch.of([params.get("token")], issues=True)
    if endpoint == "ACCESS_TOKEN":
        return Touch(issues=True)
    if endpoint == "consent":
        return Touch.of(session_ids=[request.match_info.get("session_id")])
    return NOTHING


def prefetched(request: web.Request) -> object:
    """What the store read at the request's start (None when it read nothing)."""
    return request.get(PREFETCH)


async def transition(
    request: web.Request,
    endpoint: str,
    params: Mapping[str, str],
    action: Callable[[Call], _T],
) -> _T:
    """`action(call)` as one atomic transition of the state store over the records the
    request touches (touch_of), with what the store read at its start; the action's result,
    or the DqeError it raised (StateStore.run)."""
    return await request.app[STORE].run(
        touch_of(request, endpoint, params), action, call_of(request), prefetched(request)
    )

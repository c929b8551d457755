"""Typed application and request keys."""

from __future__ import annotations

from aiohttp import web

from mockserver.contract.conformance import Note
from mockserver.domain.service import Call, IdMobile, MockState
from mockserver.http.watch_signal import ReloadSignal
from mockserver.settings import Settings

SETTINGS = web.AppKey("settings", Settings)
STATE = web.AppKey("state", MockState)
SERVICE = web.AppKey("service", IdMobile)
RELOADS = web.AppKey("reloads", ReloadSignal)
CALL = web.RequestKey("call", Call)
# For the journal: why an error was answered (set where a DqeError is rendered), and what the
# request's decoding accepted leniently (set by the DQE handlers).
ERROR_REASON = web.RequestKey("error_reason", str)
NOTES: web.RequestKey[tuple[Note, ...]] = web.RequestKey("notes")

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


def call_of(request: web.Request) -> Call:
    """The request's Call, created on first use (namespace hint from the header, validated by
    namespaces.namespace_guard)."""
    if CALL not in request:
        request[CALL] = Call(namespace_hint=request.headers.get(NAMESPACE_HEADER) or None)
    return request[CALL]

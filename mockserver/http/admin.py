"""The /__admin/ API: scenarios at runtime, reset, journal, session timelines, clock, health.

Every call may name a namespace (`?namespace=` or the X-Dqe-Namespace header); without one,
reads cover everything and writes go to the default namespace.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import math
import os
import re
import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from mockserver import __version__
from mockserver.contract.schemas import contract
from mockserver.domain import session_export
from mockserver.domain.loading import ScenarioFileError, load_text
from mockserver.domain.registry import DEFAULT_NAMESPACE
from mockserver.domain.scenarios import Scenario, ScenarioSet
from mockserver.domain.sessions import Session
from mockserver.http.body import BodyError, read_body
from mockserver.http.charsets import CharsetError, decode_text
from mockserver.http.dashboard_auth import DASHBOARD_PATH, TOKEN_PARAM, browser_credential
from mockserver.http.keys import ADMIN_PREFIX, NAMESPACE_HEADER, SETTINGS, STATE, STORE
from mockserver.http.namespaces import admin_query
from mockserver.store.base import RuntimeChangesFull, Touch

PREFIX = ADMIN_PREFIX
CLOCK_ADVANCE_SCHEMA = "admin/clock_advance_request.schema.json"
# GET /__admin/sessions pages: `limit` sessions per page by default, at most MAX_PAGE.
DEFAULT_PAGE = 100
MAX_PAGE = 1000
# The largest cursor and journal limit the query may carry (admin/common.schema.json says the
# same: tests/test_schemathesis_findings.py checks both ends).
MAX_CURSOR = 2**62
MAX_JOURNAL_LIMIT = 10**9 - 1


# A journal page ends after the entry that brings it to JOURNAL_PAGE_CHARS characters of JSON
# (an entry is at most about 45,000: docs/limits.md "State, stopping and safe methods").
JOURNAL_PAGE_CHARS = 1024 * 1024


def _namespace(request: web.Request) -> str | None:
    """?namespace= or X-Dqe-Namespace (both validated by namespaces.namespace_guard)."""
    given = admin_query(request).get("namespace", [""])[0]
    return given or request.headers.get(NAMESPACE_HEADER) or None


def _fail(status: int, message: str, **extra: Any) -> web.HTTPException:
    cls = {
        400: web.HTTPBadRequest,
        401: web.HTTPUnauthorized,
        404: web.HTTPNotFound,
        409: web.HTTPConflict,
    }[status]
    return cls(text=json.dumps({"error": message, **extra}), content_type="application/json")


@web.middleware
async def admin_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """With --admin-token, /__admin/ needs `Authorization: Bearer <token>` (reads also take the
    dashboard's cookie, or on /__admin/ui itself `?token=`: http/dashboard_auth.py)."""
    expected = request.app[SETTINGS].admin_token
    if expected and request.path.startswith(PREFIX) and not _admitted(request, expected):
        raise _fail(
            401,
            "admin token missing or wrong (Authorization: Bearer <token>; a browser opens "
            "/__admin/ui?token=<token> once, see docs/dashboard.md; dqe-mock report and "
            "export-session take --admin-token)",
        )
    if not request.path.startswith(PREFIX):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPNotFound as exc:
        if exc.content_type == "application/json":
            raise
        # The request target is never repeated (a token may be in the path): the method only.
        raise _fail(
            404, f"no admin call {request.method} at this path (see /openapi.json, tag admin)"
        ) from exc
    except web.HTTPMethodNotAllowed as exc:
        allowed = ", ".join(sorted(exc.allowed_methods))
        said = f"{request.method} is not allowed at this path; allowed: {allowed}"
        raise web.HTTPMethodNotAllowed(
            request.method,
            exc.allowed_methods,
            text=json.dumps({"error": said}),
            content_type="application/json",
        ) from exc


def _admitted(request: web.Request, expected: str) -> bool:
    """The Bearer header, or for reads the dashboard's browser credential (dashboard_auth)."""
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # The scheme name is case-insensitive (RFC 7235); the token is not.
    if scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        return True
    query_token = (
        admin_query(request).get(TOKEN_PARAM, [None])[0] if request.path == DASHBOARD_PATH else None
    )
    return browser_credential(request, expected, query_token)


async def health(request: web.Request) -> web.Response:
    """Liveness, what is loaded, and how the latest reload went."""
    state = request.app[STATE]
    store = request.app[STORE]
    await store.catch_up()
    tokens, sessions = await store.counts()
    report = state.registry.last_reload
    return web.json_response(
        {
            "status": "ok",
            "version": __version__,
            "scenarios": len(state.scenarios.scenarios),
            "sources": list(state.scenarios.sources),
            "generation": state.registry.generation,
            "namespaces": state.registry.namespaces(),
            "last_reload": {
                "ok": report.ok,
                "generation": report.generation,
                "errors": report.errors.splitlines(),
            },
            "journal": {"entries": len(state.journal), "limit": state.journal.limit},
            "tokens": tokens,
            "sessions": sessions,
            "store": store.shown,
            # Which process answered: with `serve --workers N`, one of N (http/workers.py).
            "process": {"pid": os.getpid(), "worker": request.app[SETTINGS].worker or 1},
        }
    )


def _scenario_json(scenario: Scenario, layer: str) -> dict[str, Any]:
    match = scenario.match
    return {
        "id": scenario.id,
        "layer": layer,
        "description": scenario.description,
        "operator": scenario.operator,
        "source": scenario.source,
        "numbers": sorted(match.numbers),
        "range": list(match.range) if match.range else None,
        "pattern": match.pattern.pattern if match.pattern else None,
        "any": match.any,
        "raw": sorted(match.raw),
        "licences": sorted(match.licences) if match.licences is not None else None,
        "scopes": sorted(match.scopes) if match.scopes is not None else None,
    }


async def list_scenarios(request: web.Request) -> web.Response:
    """The scenarios a namespace's requests are matched against, in matching order."""
    state = request.app[STATE]
    await request.app[STORE].catch_up()
    namespace = _namespace(request) or DEFAULT_NAMESPACE
    runtime_ids = {
        s.id
        for name in (DEFAULT_NAMESPACE, namespace)
        for s in state.registry.runtime(name).scenarios
    }
    view = state.registry.view(namespace)
    items = [
        _scenario_json(s, "runtime" if s.id in runtime_ids else "files") for s in view.scenarios
    ]
    return web.json_response({"namespace": namespace, "scenarios": items})


async def _body_text(request: web.Request, limit: int | None = None, option: str = "") -> str:
    """The body as text in its charset, at most `limit` bytes (--max-body when None): the JSON
    413 of http/body.py past it (from Content-Length alone when it says so); 400 when it cannot
    be read or is not text."""
    try:
        raw = await read_body(request, limit, option)
    except BodyError as exc:
        raise _fail(400, str(exc)) from exc
    try:
        return decode_text(raw, request.charset)
    except CharsetError as exc:
        raise _fail(400, str(exc)) from exc


async def _layer_from_body(request: web.Request, namespace: str) -> tuple[str, ScenarioSet]:
    """The document of the body as text and loaded, in a worker thread (a large one takes a
    moment, and other clients keep being served); 400 with `problems` (`<admin:ns>:line:
    reason` lines)."""
    limit = request.app[SETTINGS].max_document_bytes
    text = await _body_text(request, limit, "--max-scenario-bytes")
    try:
        return text, await asyncio.to_thread(load_text, text, f"<admin:{namespace}>", limit)
    except ScenarioFileError as exc:
        raise _fail(400, "invalid scenario document", problems=str(exc).splitlines()) from exc


async def _change(
    request: web.Request, op: str, namespace: str, text: str, layer: ScenarioSet | None = None
) -> None:
    """A runtime-scenario change, through the store (every process applies it); 409 when a
    shared store holds as many changes of the namespace as it keeps."""
    try:
        await request.app[STORE].change_scenarios(op, namespace, text, layer)
    except RuntimeChangesFull as exc:
        raise _fail(409, str(exc)) from exc


async def add_scenarios(request: web.Request) -> web.Response:
    """POST a scenario document (YAML or JSON): added to the namespace, same ids replaced."""
    namespace = _namespace(request) or DEFAULT_NAMESPACE
    text, layer = await _layer_from_body(request, namespace)
    await _change(request, "add", namespace, text, layer)
    return web.json_response(
        {
            "namespace": namespace,
            "added": [s.id for s in layer.scenarios],
            "licences": list(layer.licences),
            "faults": [f.id for f in layer.faults],
        },
        status=201,
    )


async def replace_scenarios(request: web.Request) -> web.Response:
    """PUT a scenario document: it becomes the namespace's whole runtime layer."""
    namespace = _namespace(request) or DEFAULT_NAMESPACE
    text, layer = await _layer_from_body(request, namespace)
    await _change(request, "replace", namespace, text, layer)
    return web.json_response({"namespace": namespace, "scenarios": [s.id for s in layer.scenarios]})


async def remove_scenario(request: web.Request) -> web.Response:
    """DELETE one runtime scenario of the namespace."""
    namespace = _namespace(request) or DEFAULT_NAMESPACE
    scenario_id = request.match_info["scenario_id"]
    await request.app[STORE].catch_up()
    if request.app[STATE].registry.runtime(namespace).scenario(scenario_id) is None:
        raise _fail(404, f"namespace {namespace!r} has no runtime scenario {scenario_id!r}")
    await _change(request, "remove", namespace, scenario_id)
    return web.json_response({"namespace": namespace, "removed": scenario_id})


async def reset(request: web.Request) -> web.Response:
    """Forget tokens, sessions, journal, fault counts, runtime scenarios (a namespace or all)."""
    namespace = _namespace(request)
    await request.app[STORE].reset(namespace)
    return web.json_response({"reset": namespace or "all"})


async def reload(request: web.Request) -> web.Response:
    """Load the scenario files again now; on error the last good set keeps serving.

    The files are read in a worker thread (as hot reload does); only the swap runs here.
    """
    registry = request.app[STATE].registry
    report = registry.swap(await asyncio.to_thread(registry.load))
    status = 200 if report.ok else 400
    return web.json_response(
        {"ok": report.ok, "generation": report.generation, "errors": report.errors.splitlines()},
        status=status,
    )


async def read_journal(request: web.Request) -> web.Response:
    """A page of journal entries, oldest first, and `next` (null on the last page).

    ?limit=N keeps the latest N (0 or absent: all); ?cursor=C those whose id is over C. A page
    ends after the entry that brings it to JOURNAL_PAGE_CHARS characters of JSON; `next`
    (the namespace kept, `cursor` the last id shown) fetches the rest.
    """
    namespace = _namespace(request)
    limit = _whole(request, "limit", 0, 0, MAX_JOURNAL_LIMIT)
    cursor = _whole(request, "cursor", 0, 0, MAX_CURSOR)
    await request.app[STORE].catch_up()
    entries = request.app[STATE].journal.entries(namespace, limit or None, cursor)
    parts: list[str] = []
    size = 0
    for entry in entries:
        if size >= JOURNAL_PAGE_CHARS:
            break
        parts.append(json.dumps(entry.as_json()))
        size += len(parts[-1])
    following = None
    if len(parts) < len(entries):
        query = {"cursor": str(entries[len(parts) - 1].id)}
        if namespace is not None:
            query["namespace"] = namespace
        following = str(request.rel_url.with_query(query))
    text = f'{{"entries": [{", ".join(parts)}], "next": {json.dumps(following)}}}'
    return web.Response(text=text, content_type="application/json")


async def clear_journal(request: web.Request) -> web.Response:
    """Forget journal entries (one namespace's or all)."""
    await request.app[STORE].clear_journal(_namespace(request))
    return web.json_response({"cleared": _namespace(request) or "all"})


def _session_json(session: Session) -> dict[str, Any]:
    return {
        "token": session.token,
        "id": session.id,
        "namespace": session.namespace,
        "scope": session.scope,
        "number": session.number,
        "operator": session.operator,
        "scenario": session.scenario_id,
        "phase": session.phase.value,
        "decision": session.decision,
        "timeline": [{"at": e.at, "kind": e.kind, "detail": e.detail} for e in session.events],
    }


def _digits(text: str, high: int) -> bool:
    """Is `text` a whole number in ASCII digits, no longer than `high` written out (so that
    int() stays cheap) and at most `high`?"""
    return text.isascii() and text.isdigit() and len(text) <= len(str(high)) and int(text) <= high


def _whole(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """The query parameter `name`: a whole number in low..high given once (default when
    absent); empty, repeated or anything else is a 400."""
    values = admin_query(request).get(name)
    if values is None:
        return default
    text = values[0]
    if len(values) > 1 or not _digits(text, high) or not low <= int(text) <= high:
        raise _fail(400, f"{name} must be a whole number from {low} to {high}, given once")
    return int(text)


async def list_sessions(request: web.Request) -> web.Response:
    """A page of sessions with their timelines (one namespace's, or all), oldest first.

    ?limit=N (1..MAX_PAGE, default DEFAULT_PAGE) sessions from ?cursor=C (the `next` of the
    previous page; absent: the first page); `next` is null on the last page.
    """
    namespace = _namespace(request)
    limit = _whole(request, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    cursor = _whole(request, "cursor", 0, 0, MAX_CURSOR)
    page, after = await request.app[STORE].sessions_page(cursor, limit, namespace)
    following = None
    if after is not None:
        query = {"limit": str(limit), "cursor": str(after)}
        if namespace is not None:
            query["namespace"] = namespace
        following = str(request.rel_url.with_query(query))
    return web.json_response({"sessions": [_session_json(s) for s in page], "next": following})


async def session_timeline(request: web.Request) -> web.Response:
    """One token's session: token, initiate, consent, each poll, outcome."""
    token = request.match_info["token"]
    await request.app[STORE].prepare(Touch.of([token]))
    session = request.app[STATE].sessions.by_token(token)
    if session is None:
        raise _fail(404, "no session for this token")
    return web.json_response(_session_json(session))


# What a token in an admin path may be: the mock issues `TK` and 40 hex digits; anything
# outside this is refused with a 400 before any lookup (admin/common.schema.json#/$defs/
# session_token says the same).
TOKEN_PATH = re.compile(r"[A-Za-z0-9._~-]{1,128}")


def _shown(token: str) -> str:
    """A token as an answer names it: its first 8 and last 4 characters (the whole of a short
    one), so that the log line of a 404 never holds a live credential."""
    return token if len(token) <= 16 else f"{token[:8]}…{token[-4:]}"


async def session_scenario(request: web.Request) -> web.Response:
    """The session of a token as a scenario file (YAML) that replays it; ?namespace= (or the
    header) must be the session's when given. 400 for a token of other characters than
    TOKEN_PATH's, 404 for no session (docs/client-report.md "Export a session as a scenario")."""
    token = request.match_info["token"]
    if not TOKEN_PATH.fullmatch(token):
        raise _fail(400, "token must be 1 to 128 letters, digits or ._~- characters")
    state = request.app[STATE]
    await request.app[STORE].prepare(Touch.of([token]))
    await request.app[STORE].catch_up()
    session = state.sessions.by_token(token)
    namespace = _namespace(request)
    if session is None or (namespace is not None and session.namespace != namespace):
        where = f" in namespace {namespace}" if namespace is not None else ""
        raise _fail(404, f"no session for token {_shown(token)}{where}")
    text = session_export.render(
        session,
        state.registry.view(session.namespace),
        session_export.built_in_pack(),
        state.journal.entries(session.namespace),
        datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        state.clock.now(session.token),
        __version__,
    )
    return web.Response(
        text=text,
        content_type="application/yaml",
        headers={
            "Content-Disposition": f'attachment; filename="session-{session.id}.yaml"',
            "Cache-Control": "no-store",
        },
    )


# The largest clock move, in seconds (a century): the request schema's maximum, so that the
# document and the server agree on it (Schemathesis found them apart).
MAX_ADVANCE = float(contract().schemas[CLOCK_ADVANCE_SCHEMA]["properties"]["seconds"]["maximum"])


def _seconds(value: Any) -> float | None:
    """A finite, non-negative number of seconds (at most MAX_ADVANCE); None otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:
        return None
    return seconds if math.isfinite(seconds) and 0 <= seconds <= MAX_ADVANCE else None


async def advance_clock(request: web.Request) -> web.Response:
    """POST {"seconds": N, "token": optional}: move time forward, for everyone or one token."""
    try:
        data = json.loads(await _body_text(request))
    except (ValueError, RecursionError) as exc:
        raise _fail(400, f"body must be JSON: {exc}") from exc
    seconds, token = (
        (data.get("seconds"), data.get("token")) if isinstance(data, dict) else (None, None)
    )
    amount = _seconds(seconds)
    if amount is None:
        raise _fail(400, "seconds must be a finite number >= 0 (at most a century)")
    if token is not None and not isinstance(token, str):
        raise _fail(400, "token must be a string")
    if token is not None and not Touch.of([token]).tokens:
        raise _fail(404, "no such token (an offset is kept only for a token the mock holds)")
    now = await request.app[STORE].advance(amount, token)
    if now is None:
        # Offsets are kept only for tokens the mock holds: a client cannot make it keep keys.
        raise _fail(404, "no such token (an offset is kept only for a token the mock holds)")
    return web.json_response({"now": now, "advanced": seconds, "token": token})


async def client_report(request: web.Request) -> web.Response:
    """The client report (one namespace's, or all merged): coverage, conformance, behaviour
    and findings (domain/client_report.py; schemas/admin/report.schema.json)."""
    state = request.app[STATE]
    await request.app[STORE].catch_up()
    return web.json_response(
        state.report.report(_namespace(request), state.clock.now(), time.time())
    )

"""Cross-cutting HTTP behaviour: DqeError rendered once, and no unexplained 500s."""

from __future__ import annotations

import json
import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from mockserver.contract.bounds import cut
from mockserver.contract.errors import DqeError
from mockserver.http import home
from mockserver.http.connection import route_pattern
from mockserver.http.keys import call_of, json_answer
from mockserver.http.routes import DQE_ENDPOINTS
from mockserver.store.base import StoreUnavailable

log = logging.getLogger("dqe_mock.http")
DOCUMENTED = tuple(DQE_ENDPOINTS)
# What else the mock serves, named in its 404s (`path (what)`; the path is matched for slips).
MOCK_PATHS = (
    "/docs (the contract, browsable)",
    "/openapi.json",
    "/__admin/ui (the dashboard)",
    "/__admin/health",
)


def error_response(error: DqeError) -> web.Response:
    """The documented body of a DQE error, with the catalogue's HTTP status."""
    return json_answer(error.body(), status=error.http_status)


# Seconds a client is asked to wait before trying again when the state store is unreachable.
STORE_RETRY_AFTER = 1


def unavailable_response(exc: StoreUnavailable) -> web.Response:
    """503: the state store cannot be reached (store/base.py). Never a DQE body: no answer is
    given rather than a wrong one, and the body says which store and what to do."""
    return web.json_response(
        {
            "error": "state_store_unavailable",
            "error_description": exc.message,
            "store": exc.shown,
            "detail": exc.detail,
        },
        status=503,
        headers={"Retry-After": str(STORE_RETRY_AFTER), "Cache-Control": "no-store"},
    )


def error_reason(error: DqeError) -> str:
    """The journal's sentence for an answered DqeError: `error 01 (invalid request): why`."""
    return f"error {error.error_id} ({error.label}): {error.reason}"


@web.middleware
async def dqe_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Render DqeError as documented; log why. Anything unexpected is a bug: say so loudly."""
    try:
        return await handler(request)
    except DqeError as error:
        log.info(
            "%s %s -> error %s: %s",
            request.method,
            route_pattern(request),
            error.error_id,
            error.reason,
        )
        call_of(request).error_reason = error_reason(error)
        return error_response(error)
    except StoreUnavailable as exc:
        log.info("%s %s -> 503: %s", request.method, route_pattern(request), exc.message)
        call_of(request).error_reason = exc.message
        return unavailable_response(exc)
    except web.HTTPException as exc:
        if exc.status == 404 and _browser_at_root(request):
            return home.root_page(request)  # a page of where to go (http/home.py)
        if exc.status >= 400:
            log.info(
                "%s %s -> HTTP %s: %s",
                request.method,
                route_pattern(request),
                exc.status,
                cut(exc.text or ""),
            )
        if exc.status in (404, 405) and exc.content_type != "application/json":
            raise _json_routing_error(request, exc, MOCK_PATHS) from exc
        raise
    except Exception:
        return _bug(request)


@web.middleware
async def json_routing_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """aiohttp's text 404 and 405 as JSON (the proxy's app; the mock's does it in dqe_errors)."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status in (404, 405) and exc.content_type != "application/json":
            raise _json_routing_error(request, exc) from exc
        raise


@web.middleware
async def last_resort(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The outermost middleware: what escapes every other one is a bug, answered in JSON."""
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except StoreUnavailable as exc:  # the admin API and the dashboard reach the store too
        log.info("%s %s -> 503: %s", request.method, route_pattern(request), exc.message)
        return unavailable_response(exc)
    except Exception:
        return _bug(request)


def _browser_at_root(request: web.Request) -> bool:
    """Is this the base URL opened in a browser (GET / asking for HTML)?"""
    accept = request.headers.get("Accept", "")
    return request.path == "/" and request.method == "GET" and home.wants_html(accept)


def _bug(request: web.Request) -> web.Response:
    log.exception("BUG: unhandled error on %s %s", request.method, route_pattern(request))
    return web.json_response(
        {"error": "dqe-mock internal error (a bug in the mock, please report it)"}, status=500
    )


def _json_routing_error(
    request: web.Request, exc: web.HTTPException, more: tuple[str, ...] = ()
) -> web.HTTPException:
    """aiohttp's text 404 or 405 as JSON that names the documented endpoints (and the app's
    `more` paths: the mock's docs and admin API).

    The request target is not repeated (a token may be in it); a case or slash slip on an
    ID Mobile endpoint (or one of `more`) is pointed out.
    """
    endpoints = ", ".join(DOCUMENTED)
    if exc.status == 405:
        allowed = exc.headers.get("Allow", "")
        body = {
            "error": "method_not_allowed",
            "error_description": f"{request.method} is not allowed here; allowed: {allowed}",
        }
        return web.HTTPMethodNotAllowed(
            request.method,
            allowed.split(","),
            text=json.dumps(body),
            content_type="application/json",
        )
    description = f"no such path; the ID Mobile endpoints are {endpoints} (GET or POST)"
    if more:
        description += f"; see also {', '.join(more)}"
    slip = _slip_of(request.path, more)
    if slip in DOCUMENTED:
        description = (
            f"no such path: did you mean {slip}? (the paths are upper case, between single slashes)"
        )
    elif slip:
        description = f"no such path: did you mean {slip}?"
    body = {"error": "not_found", "error_description": description}
    return web.HTTPNotFound(text=json.dumps(body), content_type="application/json")


def _slip_of(path: str, more: tuple[str, ...] = ()) -> str | None:
    """The documented endpoint (or path of `more`) that `path` misspells by case or slashes."""
    wanted = path.strip("/").upper()
    known = (*DOCUMENTED, *(m.split(" ", 1)[0] for m in more))
    return next((e for e in known if e.strip("/").upper() == wanted and path != e), None)

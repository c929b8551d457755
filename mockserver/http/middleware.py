"""Cross-cutting HTTP behaviour: DqeError rendered once, and no unexplained 500s."""

from __future__ import annotations

import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from mockserver.contract.errors import DqeError
from mockserver.http.connection import route_pattern

log = logging.getLogger("dqe_mock.http")


def error_response(error: DqeError) -> web.Response:
    """The documented body of a DQE error, with the catalogue's HTTP status."""
    return web.json_response(error.body(), status=error.http_status)


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
        return error_response(error)
    except web.HTTPException as exc:
        if exc.status >= 400:
            log.info(
                "%s %s -> HTTP %s: %s", request.method, route_pattern(request), exc.status, exc.text
            )
        raise
    except Exception:
        log.exception("BUG: unhandled error on %s %s", request.method, route_pattern(request))
        return web.json_response(
            {"error": "dqe-mock internal error (a bug in the mock, please report it)"}, status=500
        )

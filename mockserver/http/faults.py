"""Carrying out faults: what a flaky gateway or operator does to a client."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct

from aiohttp import web
from aiohttp.typedefs import Handler

from mockserver.domain.faults import Fault
from mockserver.http.decode import DecodeError, decode
from mockserver.http.keys import (
    PREFETCH,
    SERVICE,
    STATE,
    STORE,
    call_of,
    endpoint_of,
    touch_of,
)

log = logging.getLogger("dqe_mock.faults")

GATEWAY_PAGES = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


class SilentResponse(web.Response):
    """A response that is never sent: the connection was reset, closed or left hanging."""

    silent = True


@web.middleware
async def faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Apply the first fault that concerns this request, if any.

    First, a shared store catches up with the runtime scenarios and faults other processes
    changed and reads the request's records (StateStore.begin; nothing to do in memory).
    """
    endpoint = endpoint_of(request)
    state = request.app[STATE]
    if endpoint is None:
        return await handler(request)
    store = request.app[STORE]
    params: dict[str, str] | None = None
    if store.shared:
        # A shared store: catch up with the runtime scenarios and faults other processes
        # changed, and read the request's records, in one round trip, before looking at them.
        params = await _params_or_none(request)
        request[PREFETCH] = await store.begin(touch_of(request, endpoint, params or {}))
    if not state.registry.has_faults():
        return await handler(request)
    if params is None:
        params = await _params_or_none(request)
        if params is None:
            return await handler(request)
    call = call_of(request)
    session_id = request.match_info.get("session_id")
    target = request.app[SERVICE].fault_target(endpoint, params, call, session_id)
    fault = await request.app[STORE].pick_fault(
        state.registry.view(call.namespace).faults, target, call.namespace
    )
    if fault is None:
        return await handler(request)
    call.fault = fault.id
    log.info("fault %s (%s) on %s %s", fault.id, fault.kind, request.method, request.path)
    return await _apply(fault, request, handler)


async def _params_or_none(request: web.Request) -> dict[str, str] | None:
    """The decoded parameters (memoised: the handler reads the same), None when unreadable
    (the handler then answers the decoding error)."""
    try:
        return await decode(request)
    except (DecodeError, web.HTTPException):
        return None


async def _apply(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    if fault.kind == "latency":
        await asyncio.sleep(fault.delay(request.app[STATE].faults.rng))
        return await handler(request)
    if fault.kind == "http_error":
        return gateway_error(fault.status)
    if fault.kind == "truncated":
        return await _truncated(request, handler)
    if fault.kind == "hang":
        await asyncio.sleep(fault.seconds)
    _close(request, reset=fault.kind == "reset")
    return SilentResponse(status=499)


def gateway_error(status: int) -> web.Response:
    """The HTML page a reverse proxy sends when the backend fails."""
    title = f"{status} {GATEWAY_PAGES.get(status, 'Error')}"
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return web.Response(status=status, text=page, content_type="text/html")


async def _truncated(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Headers announce the whole JSON body; half of it is sent, then the connection closes."""
    full = await handler(request)
    body = full.body if isinstance(full, web.Response) and isinstance(full.body, bytes) else b"{}"
    response = web.StreamResponse(status=full.status)
    response.content_type = full.content_type
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[: max(1, len(body) // 2)])
    _close(request, reset=False)
    return response


def _close(request: web.Request, reset: bool) -> None:
    transport = request.transport
    if transport is None:
        return
    if reset:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # SO_LINGER with a zero timeout turns close() into a TCP RST.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    else:
        transport.close()

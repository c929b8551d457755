"""The connection layer under the app: deadlines for slow clients, protocol errors in JSON.

aiohttp bounds the idle time of a connection (keepalive_timeout, which also cuts a connection
that never completes a request) and the body through the handlers (decode.read_body), but a
client that trickles its headers is only cut at the keep-alive deadline, and aiohttp answers a
malformed request with a text body that quotes the request line (a token in the query
included) and logs a traceback. GuardedHandler adds a header deadline counted from a
request's first byte and answers protocol errors with one JSON line, logged in one line.

aiohttp offers no public hook for the protocol class: GuardedRunner swaps its Server for a
GuardedServer that builds GuardedHandler. tests/test_slow_clients.py pins that behaviour.

Stopping (GuardedHandler.shutdown replaces aiohttp's): aiohttp 3.14 waits `shutdown_timeout`
for a handler, then cancels only the request's body and waits `shutdown_timeout` again (2T),
treats 0 as "wait forever", and drops the body bytes of a request in flight once the
connection is closing. Here a request whose headers arrived keeps reading its body, the
handler gets `shutdown_timeout` seconds once (0: none), then its task is cancelled and gets
CANCEL_GRACE seconds to unwind before its connection is closed anyway.
tests/test_shutdown.py pins it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_exceptions import (
    BadHttpMethod,
    BadStatusLine,
    HttpProcessingError,
    InvalidHeader,
    InvalidURLError,
    LineTooLong,
)
from aiohttp.web_protocol import RequestHandler, _ErrInfo
from aiohttp.web_request import BaseRequest
from aiohttp.web_server import Server

from mockserver.http.body import read_error_text
from mockserver.http.expect import expectation_failed, unmet_expectation
from mockserver.settings import DEFAULT_HEADER_TIMEOUT, DEFAULT_KEEPALIVE_TIMEOUT

log = logging.getLogger("dqe_mock.http")
access_log = logging.getLogger("dqe_mock.access")

# A request line whose method is a syntactically valid token (RFC 9110 §5.6.2) the parser does
# not know, followed by a request target: 501 Not Implemented (RFC 9110 §9.1), not a 400.
UNKNOWN_METHOD_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32} (/|\*|https?://)")
REQUEST_START = 48  # bytes of a request's start kept to tell an unknown method from garbage

# Seconds a cancelled handler gets to unwind (its finally blocks, a log line) after the
# shutdown deadline before its connection is closed regardless: the stop takes at most
# --shutdown-timeout + CANCEL_GRACE seconds.
CANCEL_GRACE = 0.5


def _json_answer(status: int, reason: str, error: str, description: str) -> bytes:
    body = json.dumps({"error": error, "error_description": description}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


NOT_IMPLEMENTED = "the request method is not one the mock implements (RFC 9110 §9.1)"


def protocol_error_text(exc: BaseException) -> str:
    """What is wrong with a request aiohttp could not parse, without quoting its bytes."""
    if isinstance(exc, LineTooLong):
        return f"the request line or a header is longer than {exc.args[1]} bytes"
    if isinstance(exc, InvalidURLError):
        return "the request target is not a valid URL (percent-encode bytes that are not ASCII)"
    if isinstance(exc, BadHttpMethod):
        return "not an HTTP request (unknown method)"
    if isinstance(exc, BadStatusLine):
        return "the request line is malformed"
    if isinstance(exc, InvalidHeader):
        return "a header is malformed"
    text = read_error_text(exc)
    return "the request is malformed" if text.startswith("the body cannot") else text


class GuardedHandler(RequestHandler):
    """aiohttp's protocol, with a header deadline and protocol errors answered in JSON."""

    def __init__(self, manager: Server, *, header_timeout: float, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self.header_timeout = header_timeout
        self.header_deadline: asyncio.TimerHandle | None = None
        self.request_start = b""  # the first REQUEST_START bytes of the request being parsed

    def _awaiting_request(self) -> bool:
        # start() parks on _waiter while no complete request has arrived (aiohttp's own
        # keep-alive check reads the same future).
        return self._waiter is not None and not self._waiter.done()

    def data_received(self, data: bytes) -> None:
        """Arm the header deadline at a request's first byte; disarm once its headers are in."""
        if (
            data
            and self.header_deadline is None
            and self.header_timeout > 0
            and self._awaiting_request()
        ):
            self.header_deadline = self._loop.call_later(self.header_timeout, self._headers_late)
        if data and self._awaiting_request() and len(self.request_start) < REQUEST_START:
            self.request_start += data[: REQUEST_START - len(self.request_start)]
        queued = len(self._messages)
        self._feed(data)
        self._hand_error_to_body(queued)
        if not self._awaiting_request():
            self._request_parsed()

    def _request_parsed(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None
        if not self._messages or not isinstance(self._messages[-1][0], _ErrInfo):
            self.request_start = b""

    def _body_in_flight(self) -> bool:
        request = self._current_request
        if request is not None and not request.content.is_eof():
            return True
        # Headers parsed, handler not started yet: its body is in the queue's last payload.
        return bool(self._messages) and not self._messages[-1][1].is_eof()

    def _feed(self, data: bytes) -> None:
        """aiohttp's data_received, also while stopping when a request's body is still due.

        aiohttp drops every byte once close() was called (at shutdown): a request whose
        headers arrived before the signal would never get the rest of its body.
        """
        if self._close and not self._force_close and self._body_in_flight():
            self._close = False
            try:
                super().data_received(data)
            finally:
                self._close = True
        else:
            super().data_received(data)

    async def shutdown(self, timeout: float | None = None) -> None:  # noqa: ASYNC109 (aiohttp)
        """Let the request in flight finish within `timeout` s (None or 0: none), then cut.

        The connection takes no further request. A handler still running at the deadline is
        cancelled and gets CANCEL_GRACE s to unwind; the connection is then closed.
        """
        self._close = True
        if self._keepalive_handle is not None:
            self._keepalive_handle.cancel()
            self._keepalive_handle = None
        task = self._task_handler
        if task is not None and not task.done() and timeout:
            await asyncio.wait({task}, timeout=timeout)
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=CANCEL_GRACE)
        self.force_close()

    def _hand_error_to_body(self, queued: int) -> None:
        """A parse error in the body of the request being handled (bad chunking) goes to it.

        aiohttp's parser drops that request's body stream (it never ends: the handler would
        wait for the body timeout) and queues the error as a request of its own. The error is
        set on the body instead, so the handler answers it as a decode error, in the journal;
        the connection is closed after that answer.
        """
        request = self._current_request
        if request is None or len(self._messages) <= queued:
            return
        error, _ = self._messages[-1]
        if isinstance(error, _ErrInfo) and not request.content.is_eof():
            self._messages.pop()
            request.content.set_exception(web.RequestPayloadError(error.message))
            self.close()

    def _headers_late(self) -> None:
        self.header_deadline = None
        if self.transport is None or not self._awaiting_request():
            return
        peer = self.transport.get_extra_info("peername")
        log.info(
            "client %s sent no complete headers within %g s: 408, connection closed",
            peer[0] if isinstance(peer, tuple) else peer,
            self.header_timeout,
        )
        description = (
            f"the request headers did not arrive within {self.header_timeout:g} s "
            "(see --header-timeout)"
        )
        self.transport.write(_json_answer(408, "Request Timeout", "request_timeout", description))
        self.force_close()

    def connection_lost(self, exc: BaseException | None) -> None:
        """Disarm the deadline, then aiohttp's cleanup."""
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None
        super().connection_lost(exc)

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        """A client's protocol error: one log line, a JSON body that quotes nothing it sent."""
        if not isinstance(exc, HttpProcessingError) or status >= 500:
            return super().handle_error(request, status, exc, message)
        description = protocol_error_text(exc)
        if isinstance(exc, BadHttpMethod) and UNKNOWN_METHOD_LINE.match(self.request_start):
            status, description = 501, NOT_IMPLEMENTED
        log.info("client %s: bad request: %s -> HTTP %s", request.remote, description, status)
        if request.writer.output_size > 0:
            raise ConnectionError("a response was already sent; the connection is dropped")
        error = "not_implemented" if status == 501 else "bad_request"
        body = {"error": error, "error_description": description}
        response = web.json_response(body, status=status)
        response.force_close()
        return response


class GuardedServer(Server):
    """aiohttp's Server, building GuardedHandler connections."""

    def __init__(self, base: Server, header_timeout: float) -> None:
        app_handler = base.request_handler

        async def handle(request: BaseRequest) -> web.StreamResponse:
            # aiohttp answers an unknown Expect before any middleware, in text that repeats
            # it, on routes and unknown paths alike: refused here, in JSON (http/expect.py).
            if unmet_expectation(request):
                return expectation_failed()
            return await app_handler(request)

        super().__init__(
            handle,
            request_factory=base.request_factory,
            handler_cancellation=base.handler_cancellation,
            **base._kwargs,
        )
        self.header_timeout = header_timeout

    def pre_shutdown(self) -> None:
        """Close idle connections (aiohttp), then log how many requests are in flight, if any."""
        super().pre_shutdown()
        busy = sum(
            1 for conn in self.connections if conn._current_request is not None or conn._messages
        )
        if busy:
            log.info("no longer accepting; %d requests in flight", busy)

    def __call__(self) -> RequestHandler:
        """A new connection's protocol."""
        return GuardedHandler(
            self, loop=self._loop, header_timeout=self.header_timeout, **self._kwargs
        )


class GuardedRunner(web.AppRunner):
    """AppRunner whose connections are GuardedHandler (header deadline, JSON 400s)."""

    def __init__(
        self,
        app: web.Application,
        *,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
        **kwargs: Any,
    ) -> None:
        super().__init__(app, **kwargs)
        self.header_timeout = header_timeout

    async def _make_server(self) -> Server:
        return GuardedServer(await super()._make_server(), self.header_timeout)


class AccessLog(AbstractAccessLogger):
    """One line per answer: the route's pattern, never the request target (tokens in queries)."""

    def log(self, request: BaseRequest, response: web.StreamResponse, time: float) -> None:
        """Log `remote "METHOD /route/pattern" status bytes seconds`."""
        self.logger.info(
            '%s "%s %s" %s %s %.3fs',
            request.remote,
            request.method,
            route_pattern(request),
            response.status,
            response.body_length,
            time,
        )


def route_pattern(request: BaseRequest) -> str:
    """The matched route's pattern (`/__admin/sessions/{token}`), or `(no route)`."""
    try:
        match = request.match_info  # type: ignore[attr-defined]
    except (AttributeError, AssertionError):  # not routed: aiohttp could not parse the request
        return "(no route)"
    route = getattr(match, "route", None)
    resource = getattr(route, "resource", None)
    canonical = getattr(resource, "canonical", None)
    return canonical if isinstance(canonical, str) else "(no route)"


def handler_args(
    keepalive_timeout: float = DEFAULT_KEEPALIVE_TIMEOUT, access: bool = True
) -> dict[str, Any]:
    """Keyword arguments of aiohttp's protocol: keep-alive, no lingering, the access log
    (AccessLog when `access`, else none at all: not even a disabled logger is called)."""
    return {
        "keepalive_timeout": keepalive_timeout,
        # A body the handler did not read is not waited for: the connection is closed after
        # the answer (aiohttp's default waits up to 10 s for it).
        "lingering_time": 0,
        # Bodies are decompressed by body.read_body, which bounds and reports failures.
        "auto_decompress": False,
        "access_log_class": AccessLog,
        "access_log": access_log if access else None,
    }

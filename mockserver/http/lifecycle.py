"""Running an app until SIGTERM or SIGINT, then stopping gracefully.

On the first signal the listening socket closes (no new connections), idle keep-alive
connections close, and requests in flight get `shutdown_timeout` seconds to finish (AppRunner's
cleanup(), with the deadline of connection.GuardedHandler.shutdown); whatever still runs then
(a `hang` fault) is cancelled.
The coroutine then returns normally, so the process exits 0: a stop asked for is no crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from typing import Protocol

from aiohttp import web

from mockserver import __version__
from mockserver.http.connection import GuardedRunner
from mockserver.settings import DEFAULT_HEADER_TIMEOUT

log = logging.getLogger("dqe_mock.server")
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def listening_banner(host: str, port: int) -> str:
    """The line `serve` prints once it listens (tests and users read it):
    `dqe-mock VERSION listening on http://HOST:PORT`."""
    return f"dqe-mock {__version__} listening on http://{host}:{port}"


class Listening(Protocol):
    """Where and how a server listens: the fields Settings and ProxySettings share."""

    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def shutdown_timeout(self) -> float: ...
    @property
    def header_timeout(self) -> float: ...


class NoEventLoop(RuntimeError):
    """The event loop asked for cannot be used (uvloop asked for but not installed)."""


def loop_factory(choice: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The event loop factory for `choice` (settings.EVENT_LOOPS); None: asyncio's default.

    "auto" takes uvloop when it can be imported; "uvloop" raises NoEventLoop when it cannot.
    """
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError as exc:
        if choice == "uvloop":
            raise NoEventLoop(
                "--event-loop uvloop: uvloop is not installed (pip install uvloop; it does not "
                "exist on Windows)"
            ) from exc
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run(
    app: web.Application,
    where: Listening,
    banner: Callable[[int], str],
    event_loop: str = "auto",
    reuse_port: bool = False,
) -> int:
    """Serve until stopped (see serve_until_stopped) on the `event_loop` asked for
    (loop_factory); the process's exit status. `reuse_port`: bind with SO_REUSEPORT, sharing
    the port with the other workers of `serve --workers N` (http/workers.py).

    0 after a stop signal; 2, with one line on stderr, when host:port cannot be listened on
    or the event loop cannot be used.
    """
    try:
        factory = loop_factory(event_loop)
    except NoEventLoop as exc:
        print(f"dqe-mock: {exc}", file=sys.stderr)
        return 2
    try:
        # KeyboardInterrupt: a Ctrl-C before the signal handlers are installed.
        with contextlib.suppress(KeyboardInterrupt), asyncio.Runner(loop_factory=factory) as runner:
            runner.run(
                serve_until_stopped(
                    app,
                    where.host,
                    where.port,
                    where.shutdown_timeout,
                    banner,
                    where.header_timeout,
                    reuse_port,
                )
            )
    except OSError as exc:
        reason = exc.strerror or exc
        print(f"dqe-mock: cannot listen on {where.host}:{where.port}: {reason}", file=sys.stderr)
        return 2
    return 0


async def serve_until_stopped(
    app: web.Application,
    host: str,
    port: int,
    shutdown_timeout: float,
    banner: Callable[[int], str],
    header_timeout: float = DEFAULT_HEADER_TIMEOUT,
    reuse_port: bool = False,
) -> None:
    """Serve `app` on host:port until a stop signal; print `banner(bound_port)` once listening.

    shutdown_timeout: seconds that requests in flight get after the signal (>= 0);
    header_timeout: seconds from a request's first byte to the end of its headers;
    reuse_port: bind with SO_REUSEPORT (several processes on one port; the kernel spreads the
    connections among them).
    """
    # handle_signals=False: aiohttp's own handlers raise GracefulExit, a SystemExit(1).
    runner = GuardedRunner(
        app,
        header_timeout=header_timeout,
        handle_signals=False,
        shutdown_timeout=shutdown_timeout,
    )
    await runner.setup()
    started = False
    try:
        await web.TCPSite(runner, host, port, reuse_port=reuse_port or None).start()
        started = True
        print(banner(runner.addresses[0][1]), flush=True)  # the port bound, with --port 0
        await _until_stop_signal(shutdown_timeout)
    finally:
        await runner.cleanup()
        if started:  # a port in use is one line on stderr (run), not a "stopped" too
            log.info("stopped")


async def _until_stop_signal(shutdown_timeout: float) -> None:
    """Return at the first SIGTERM or SIGINT; later ones are logged, the deadline holds."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def on_signal(signum: int) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            log.info("%s: already stopping (at most %g s)", name, shutdown_timeout)
            return
        log.info("%s: stopping; requests in flight get %g s to finish", name, shutdown_timeout)
        stop.set()

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)
    await stop.wait()

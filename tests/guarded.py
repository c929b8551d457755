"""The mock (or the proxy) under GuardedRunner, as `dqe-mock serve` runs it, on a free port."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from mockserver.http.connection import GuardedRunner

READ_WITHIN = 10.0  # an upper bound on any answer the tests wait for; never slept


@asynccontextmanager
async def guarded(app: web.Application, header_timeout: float) -> AsyncIterator[GuardedRunner]:
    """Serve app on 127.0.0.1:<free port> with the CLI's runner; yields the runner."""
    runner = GuardedRunner(app, header_timeout=header_timeout)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner
    finally:
        await runner.cleanup()


async def exchange(port: int, data: bytes, within: float = READ_WITHIN) -> bytes:
    """Send data on a fresh connection; everything the server sends until it closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(data)
        await writer.drain()
        async with asyncio.timeout(within):
            return await reader.read()
    finally:
        writer.close()


def port_of(runner: GuardedRunner) -> int:
    """The port the runner's one site listens on."""
    return int(runner.addresses[0][1])


def status_of(answer: bytes) -> int:
    """The status code of a raw HTTP answer."""
    return int(answer.split(b" ", 2)[1])


def body_of(answer: bytes) -> bytes:
    """The body of a raw HTTP answer (one answer, Content-Length framed)."""
    return answer.partition(b"\r\n\r\n")[2]

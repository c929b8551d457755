"""The bare aiohttp handler: the ceiling a Python aiohttp mock can reach on one core.

    python benchmarks/bare_aiohttp.py PORT [--uvloop]

Answers every method on every path with the same constant JSON bytes (a matching_notp
answer, 175 bytes), reads nothing of the request, writes no access log, binds 127.0.0.1
only. bench_wrk.py runs it with the interpreter, and so the aiohttp, that runs dqe-mock, and
sends it each workload's very request: the ratio of dqe-mock to it is what dqe-mock's own
work costs. Mirrors the bare peer of the bench-peers method (no body read, no log).
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web

BODY = (
    b'{"family_name": 1.0, "gender": 1.0, "birthdate": 0.0, "given_name": 1.0, "address": '
    b'{"country": 1.0, "postal_code": 1.0, "street_address": 0.7, "locality": 1.0}, '
    b'"email": 1.0}'
)


async def constant(request: web.Request) -> web.Response:
    return web.Response(body=BODY, content_type="application/json")


def main() -> None:
    port = int(sys.argv[1])
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", constant)
    if "--uvloop" in sys.argv[2:]:
        import uvloop  # type: ignore[import-not-found]

        loop = uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, loop=loop)


if __name__ == "__main__":
    main()

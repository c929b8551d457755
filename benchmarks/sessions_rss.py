"""Resident memory of a `dqe-mock serve` process holding many live sessions.

    python benchmarks/sessions_rss.py [--sessions 100000] [--concurrency 32]

The mock runs in its own process (127.0.0.1, a free port, the default limits: 100,000
sessions and tokens). Sessions are created through HTTP, exactly as clients create them: for
each, POST /ACCESS_TOKEN/ then POST /IDMOBILE/ formfilling with a redirect_uri, on a distinct
mobile number (the pack's any-mobile scenario), so every session waits for consent (live).
The script prints the process's RSS as the count grows, the cost per session, and how long
the first page of GET /__admin/sessions takes at the end. Figures only, no assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

import aiohttp
from bench_server import start
from soak import rss_kib

TOKEN = {"client_secret": "demo-secret", "grant_type": "client_idmobile", "licence": "100001"}


async def one(session: aiohttp.ClientSession, base: str, index: int) -> None:
    async with session.post(f"{base}/ACCESS_TOKEN/", data=TOKEN) as reply:
        token = (await reply.json())["access_token"]
    params = {
        "number": f"+336{10_000_000 + index:08d}",  # 06 10 00 00 00 on: mobiles, no magic
        "token": token,
        "mode": "2",
        "name": "ACME",
        "licence": "100001",
        "scope": "formfilling",
        "redirect_uri": "https://partner.example/callback?order=42",
    }
    async with session.post(f"{base}/IDMOBILE/", data=params) as reply:
        body = await reply.json()
        if body.get("status") != "success" or "url" not in body:
            raise RuntimeError(f"no session for {params['number']}: {body}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    proc, base = start(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--seed", "3", "--no-watch",
         "--log-level", "WARNING"]
    )  # fmt: skip
    try:
        start_kib = rss_kib(proc.pid)
        print(f"{'sessions':>9} {'RSS MiB':>8} {'KiB/session':>12} {'elapsed s':>10}")
        print(f"{0:9d} {start_kib / 1024:8.1f} {'':>12} {0:10.1f}")
        began = time.monotonic()
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            done, step = 0, max(args.sessions // 5, 1)
            while done < args.sessions:
                batch = min(step, args.sessions - done)
                queue = iter(range(done, done + batch))

                async def worker(queue: object = queue) -> None:
                    for index in queue:  # type: ignore[attr-defined]
                        await one(session, base, index)

                await asyncio.gather(*(worker() for _ in range(args.concurrency)))
                done += batch
                kib = rss_kib(proc.pid)
                per = (kib - start_kib) / done
                print(f"{done:9d} {kib / 1024:8.1f} {per:12.2f} {time.monotonic() - began:10.1f}")
            async with session.get(f"{base}/__admin/health") as reply:
                health = await reply.json()
            started = time.perf_counter()
            async with session.get(f"{base}/__admin/sessions") as reply:
                page = await reply.read()
            took = (time.perf_counter() - started) * 1000
        print(f"health: {health['sessions']} sessions, {health['tokens']} tokens")
        size = len(page) / 1024
        print(f"GET /__admin/sessions (first page of 100): {size:.0f} KiB, {took:.1f} ms")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    asyncio.run(main())

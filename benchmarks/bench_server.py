"""Throughput and latency of dqe-mock against a bare aiohttp handler, measured in one run.

    python benchmarks/bench_server.py [--requests 3000] [--concurrency 20]

Each server runs in its own process on 127.0.0.1 (a free port); this process is the load
generator. The figures are requests per second and latency percentiles; the ratio column
compares each mock endpoint with the bare handler measured in the same run, on the same
machine, so it survives a slower or busier machine better than absolute numbers do.
No targets are asserted here: this prints figures for people to read and compare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiohttp

BARE = """
import sys
from aiohttp import web
async def ok(request):
    return web.json_response({"status": "pending", "scope": "numVerify"})
app = web.Application()
app.router.add_get("/GET/", ok)
web.run_app(app, host="127.0.0.1", port=0, print=lambda *a: None,
            access_log=None, handle_signals=True)
"""
USER_INFOS = json.dumps(
    {
        "street_address": "rue de la Paix",
        "postal_code": "75002",
        "locality": "Paris",
        "country": "France",
        "birthdate": "1985-04-12",
        "email": "jean.dupont@example.com",
        "lastname": "Dupont",
        "maiden_name": "",
        "gender": "M",
        "firstname": "Jean",
        "phone": "0639980001",
        "number": "10",
    }
)


@dataclass
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def start(argv: list[str]) -> tuple[subprocess.Popen[str], str]:
    """Start a server process and read its port from `ss`-free means: its own output."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    return proc, line.strip().rsplit(" ", 1)[-1]


def start_bare() -> tuple[subprocess.Popen[str], str]:
    wrapper = BARE.replace(
        "web.run_app(",
        "import socket\ns = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; "
        "s.close()\nprint(f'listening on http://127.0.0.1:{port}', flush=True)\nweb.run_app(",
    ).replace("port=0", "port=port")
    return start([sys.executable, "-c", wrapper])


Call = Callable[[aiohttp.ClientSession], Awaitable[int]]


async def load(name: str, count: int, concurrency: int, request: Call) -> Result:
    latencies: list[float] = []
    errors = 0
    queue = iter(range(count))
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def worker() -> None:
            nonlocal errors
            for _ in queue:
                started = time.perf_counter()
                status = await request(session)
                latencies.append(time.perf_counter() - started)
                errors += status != 200

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return Result(
        name,
        count / elapsed,
        statistics.median(latencies) * 1000,
        latencies[int(len(latencies) * 0.99) - 1] * 1000,
        errors,
    )


def getter(url: str, params: dict[str, str] | None = None) -> Call:
    async def call(session: aiohttp.ClientSession) -> int:
        async with session.get(url, params=params) as response:
            await response.read()
            return response.status

    return call


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()

    bare, bare_url = start_bare()
    mock, mock_url = start(
        [
            sys.executable,
            "-m",
            "mockserver",
            "serve",
            "--port",
            "0",
            "--seed",
            "1",
            "--no-watch",
            "--log-level",
            "WARNING",
            "--journal-limit",
            "1000",
        ]
    )
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(
                f"{mock_url}/ACCESS_TOKEN/",
                params={
                    "client_secret": "demo-secret",
                    "grant_type": "client_idmobile",
                    "licence": "100001",
                },
            ) as r:
                token = (await r.json())["access_token"]
            async with session.get(
                f"{mock_url}/IDMOBILE/",
                params={
                    "number": "+33639983003",
                    "token": token,
                    "name": "ACME",
                    "licence": "100001",
                    "scope": "numVerify",
                },
            ) as r:
                assert (await r.json())["status"] == "success"
        cases = [
            ("bare aiohttp handler", getter(f"{bare_url}/GET/")),
            (
                "/GET/ pending",
                getter(
                    f"{mock_url}/GET/", {"token": token, "Licence": "100001", "scope": "numVerify"}
                ),
            ),
            (
                "/ACCESS_TOKEN/",
                getter(
                    f"{mock_url}/ACCESS_TOKEN/",
                    {
                        "client_secret": "demo-secret",
                        "grant_type": "client_idmobile",
                        "licence": "100001",
                    },
                ),
            ),
            (
                "/IDMOBILE/ matching_notp",
                getter(
                    f"{mock_url}/IDMOBILE/",
                    {
                        "number": "+33639980001",
                        "token": token,
                        "mode": "2",
                        "name": "ACME",
                        "licence": "100001",
                        "scope": "matching_notp",
                        "user_infos": USER_INFOS,
                    },
                ),
            ),
            (
                "/IDMOBILE/ error 10",
                getter(
                    f"{mock_url}/IDMOBILE/",
                    {
                        "number": "0600",
                        "token": token,
                        "name": "ACME",
                        "licence": "100001",
                        "scope": "numVerify",
                    },
                ),
            ),
        ]
        results = []
        for name, call in cases:
            await load(name, min(200, args.requests), args.concurrency, call)  # warm-up
            results.append(await load(name, args.requests, args.concurrency, call))
    finally:
        for proc in (bare, mock):
            proc.terminate()
            proc.wait(10)
    base = results[0].rps
    cores = os.cpu_count()
    print(f"{cores} cores, {args.requests} requests per case, concurrency {args.concurrency}")
    print(f"{'case':28} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs bare':>8}")
    for res in results:
        figures = f"{res.rps:9.0f} {res.p50_ms:8.2f} {res.p99_ms:8.2f} {res.errors:7d}"
        print(f"{res.name:28} {figures} {res.rps / base:8.2f}")


if __name__ == "__main__":
    asyncio.run(main())

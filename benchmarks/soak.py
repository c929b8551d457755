"""Soak: run whole flows against one mock for a while and watch its memory and state sizes.

    python benchmarks/soak.py [--flows 3000] [--concurrency 10] [--bounded 1000]

The mock runs in its own process (127.0.0.1, a free port). Each flow is token, /IDMOBILE/
formfilling, the consent POST, and /GET/ polls until done. Every few hundred flows the script
prints the server's resident memory and what /__admin/health says it holds (journal entries,
tokens, sessions). Bounded state shows as flat columns. Figures only, no assertions.

By default the mock's clock moves an hour ahead after every batch, so old tokens expire and
are forgotten by time. With --bounded N the clock stands still and the mock runs with
--max-sessions N --max-tokens N: only the count bounds keep it flat. Each flow then also
sends its own X-Dqe-Namespace (a new namespace every time) and one request that breaks the
contract with a 60 KiB parameter (error 01, journaled, cut to size in the journal).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
from pathlib import Path

import aiohttp
from servers import start  # the same start-up and port reading

TOKEN = {"client_secret": "demo-secret", "grant_type": "client_idmobile", "licence": "100001"}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def start_mock(bounded: int = 0) -> tuple[subprocess.Popen[str], str]:
    """The mock in its own process (with --bounded, small count bounds); it and its base url."""
    limits = ["--max-sessions", str(bounded), "--max-tokens", str(bounded)] if bounded else []
    return start(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--seed", "2", "--no-watch",
         "--log-level", "WARNING", "--journal-limit", "1000", *limits]
    )  # fmt: skip


async def flow(
    session: aiohttp.ClientSession, base: str, number: str, namespace: str | None = None
) -> None:
    headers = {"X-Dqe-Namespace": namespace} if namespace else {}
    async with session.post(f"{base}/ACCESS_TOKEN/", data=TOKEN, headers=headers) as r:
        token = (await r.json())["access_token"]
    if namespace:  # a request that breaks the contract (no mode: 01), with a huge parameter
        broken = {"number": number, "token": token, "name": "ACME", "licence": "100001",
                  "scope": "formfilling", "code_name": "x" * 60_000}  # fmt: skip
        async with session.post(f"{base}/IDMOBILE/", data=broken, headers=headers) as r:
            await r.read()
    params = {
        "number": number,
        "token": token,
        "mode": "2",
        "name": "ACME",
        "licence": "100001",
        "scope": "formfilling",
        "redirect_uri": "https://p.example/cb",
    }
    async with session.post(f"{base}/IDMOBILE/", data=params, headers=headers) as r:
        url = (await r.json())["url"]
    async with session.post(url, allow_redirects=False) as r:
        await r.read()
    poll = {"token": token, "Licence": "100001", "scope": "formfilling"}
    for _ in range(5):
        async with session.post(f"{base}/GET/", data=poll, headers=headers) as r:
            if (await r.json())["status"] != "pending":
                return


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--bounded", type=int, default=0, metavar="N")
    args = parser.parse_args()
    proc, base = start_mock(args.bounded)
    numbers = ["+33639980001", "+33639984003", "+33639980003"]
    print(f"{'flows':>7} {'RSS MiB':>8} {'journal':>8} {'tokens':>7} {'sessions':>9}")
    try:
        async with aiohttp.ClientSession() as session:
            done = 0
            sem = asyncio.Semaphore(args.concurrency)

            async def one(i: int) -> None:
                async with sem:
                    namespace = f"soak-{i}" if args.bounded else None
                    await flow(session, base, numbers[i % len(numbers)], namespace)

            while done < args.flows:
                batch = min(300, args.flows - done)

                await asyncio.gather(*(one(done + i) for i in range(batch)))
                done += batch
                if not args.bounded:
                    advance = {"seconds": 3600}
                    async with session.post(f"{base}/__admin/clock/advance", json=advance):
                        pass
                async with session.get(f"{base}/__admin/health") as r:
                    health = await r.json()
                print(
                    f"{done:7d} {rss_kib(proc.pid) / 1024:8.1f} {health['journal']['entries']:8d} "
                    f"{health['tokens']:7d} {health['sessions']:9d}"
                )
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    asyncio.run(main())

"""Resident memory of a `dqe-mock serve` process holding many live sessions.

    python benchmarks/sessions_rss.py [--sessions 100000] [--concurrency 32]
                                      [--shape formfilling|matching|mixed]

The mock runs in its own process (127.0.0.1, a free port, the default limits: 100,000
sessions and tokens). Sessions are created through HTTP, exactly as clients create them: for
each, POST /ACCESS_TOKEN/ then POST /IDMOBILE/ on a distinct mobile number (the pack's
any-mobile scenario), so every session waits for consent (live). Every shape is realistic:
a distinct redirect_uri per session (`https://shop<k>.example/cb?order=<n>`), one of 50
partner names, a code_name; matching sends a 12-key user_infos (the documented keys, with
distinct names, e-mail, street and phone per session). `mixed` (the default) alternates
formfilling, matching and matching,formfilling. The script prints the process's RSS as the
count grows, the cost per session, and how long the first page of GET /__admin/sessions
takes at the end. Figures only, no assertions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable

import aiohttp
from servers import start
from soak import rss_kib

TOKEN = {"client_secret": "demo-secret", "grant_type": "client_idmobile", "licence": "100001"}
PARTNERS = [f"{kind} {city}" for kind in ("Boutique", "Shop", "Agence", "Banque", "Mutuelle")
            for city in ("Paris", "Lyon", "Lille", "Nantes", "Nice", "Brest", "Metz", "Rouen",
                         "Dijon", "Tours")]  # fmt: skip
SHAPES = {
    "formfilling": ("formfilling",),
    "matching": ("matching",),
    "mixed": ("formfilling", "matching", "matching,formfilling"),
}
FIRST = ("Jean", "Marie", "Camille", "Lucas", "Léa", "Hugo", "Chloé", "Louis", "Inès", "Paul")
LAST = ("Dupont", "Martin", "Bernard", "Lefèvre", "Moreau", "Garnier", "Roux", "Fournier")


def user_infos(index: int, mobile: str) -> str:
    """The 12 documented keys, with values that differ from one session to the next."""
    last = f"{LAST[index % len(LAST)]}-{index}"
    first = FIRST[index % len(FIRST)]
    return json.dumps(
        {
            "street_address": f"rue des Lilas {index % 997}",
            "postal_code": f"{75000 + index % 900:05d}",
            "locality": "Paris",
            "country": "France",
            "birthdate": f"19{50 + index % 50}-{1 + index % 12:02d}-{1 + index % 28:02d}",
            "email": f"{first.lower()}.{last.lower()}@example.com",
            "lastname": last,
            "maiden_name": "",
            "gender": "MF"[index % 2],
            "firstname": first,
            "phone": mobile,
            "number": str(1 + index % 150),
        }
    )


def initiation(index: int, token: str, shape: str) -> dict[str, str]:
    """The /IDMOBILE/ parameters of session `index` in `shape`."""
    scopes = SHAPES[shape]
    scope = scopes[index % len(scopes)]
    mobile = f"+336{10_000_000 + index:08d}"  # 06 10 00 00 00 on: mobiles, no magic
    params = {
        "number": mobile,
        "token": token,
        "mode": "2",
        "name": PARTNERS[index % len(PARTNERS)],
        "code_name": f"campaign-{index % 7}",
        "licence": "100001",
        "scope": scope,
        "redirect_uri": f"https://shop{index % 50}.example/cb?order={index}",
    }
    if "matching" in scope:
        params["user_infos"] = user_infos(index, f"06{10_000_000 + index:08d}")
    return params


async def one(session: aiohttp.ClientSession, base: str, index: int, shape: str) -> None:
    async with session.post(f"{base}/ACCESS_TOKEN/", data=TOKEN) as reply:
        token = (await reply.json())["access_token"]
    params = initiation(index, token, shape)
    async with session.post(f"{base}/IDMOBILE/", data=params) as reply:
        body = await reply.json()
        if body.get("status") != "success" or "url" not in body:
            raise RuntimeError(f"no session for {params['number']}: {body}")


async def fill(session: aiohttp.ClientSession, base: str, first: int, count: int,
               concurrency: int, shape: str) -> None:  # fmt: skip
    """Create sessions first .. first+count-1 with `concurrency` requests in flight."""
    queue = iter(range(first, first + count))

    async def worker() -> None:
        for index in queue:
            await one(session, base, index, shape)

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def grow(base: str, sessions: int, concurrency: int, shape: str,
               step: Callable[[int], None]) -> None:  # fmt: skip
    """Create `sessions` live sessions on the mock at `base`, in five batches; after each,
    step(sessions made so far). bench_wrk.py --sessions calls this too."""
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        done, batch_size = 0, max(sessions // 5, 1)
        while done < sessions:
            batch = min(batch_size, sessions - done)
            await fill(session, base, done, batch, concurrency, shape)
            done += batch
            step(done)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="mixed")
    args = parser.parse_args()
    proc, base = start(
        [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--seed", "3", "--no-watch",
         "--log-level", "WARNING"]
    )  # fmt: skip
    try:
        start_kib = rss_kib(proc.pid)
        print(f"shape {args.shape} ({', '.join(SHAPES[args.shape])})")
        print(f"{'sessions':>9} {'RSS MiB':>8} {'KiB/session':>12} {'elapsed s':>10}")
        print(f"{0:9d} {start_kib / 1024:8.1f} {'':>12} {0:10.1f}")
        began = time.monotonic()

        def step(done: int) -> None:
            kib = rss_kib(proc.pid)
            per = (kib - start_kib) / done
            print(f"{done:9d} {kib / 1024:8.1f} {per:12.2f} {time.monotonic() - began:10.1f}")

        await grow(base, args.sessions, args.concurrency, args.shape, step)
        async with aiohttp.ClientSession() as session:
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

#!/usr/bin/env python3
"""The state stores compared: memory against Redis, one worker against two (issue 16).

    .venv/bin/python benchmarks/bench_state.py                     # ~7 min, the three setups
    .venv/bin/python benchmarks/bench_state.py --quick             # ~3 min, noisier
    .venv/bin/python benchmarks/bench_state.py --json state.json -- --log-level WARNING

Three setups of `dqe-mock serve` (bench_wrk.py's options: the bench licence, --no-watch,
--token-ttl 3600, plus whatever follows `--`), all running, pinned to --server-cpu (0):
(a) `--state memory`, (b) `--state redis://...` with one worker, (c) the same with
`--workers 2`. Each Redis setup gets a redis-server of its own (/usr/bin/redis-server, no
persistence, a free port of 127.0.0.1, a temporary directory removed at the end), pinned to
--redis-cpu (default: wrk's core, 1), so that its calls and CPU are that setup's alone. For
each workload the setups are measured back to back, so the figures of a ratio are taken
seconds apart (this VM's speed drifts from minute to minute).

Every setup gets bench_wrk.py's workloads (plus a /GET/ of a pending session a connection),
measured with bench_wrk.py's machinery (wrk pinned to
--client-cpu, benchmarks/wrk/checked.lua and flow.lua checking every answer, the quiet-machine
wait, CPU accounting): matching_notp GET and POST, /GET/ pending and finished, an error
answer, whole consent flows, /ACCESS_TOKEN/. Printed: req/s, p50, p99, non-2xx, wrong answers
of each setup; the ratios b/a and c/b; issue 16's target (the Redis store's /GET/ p50 at most
2x the memory store's), met or missed, with a `MISSED:` line as bench_wrk.py prints.

Also: Redis operations per whole flow. On setup (b), before its load, --ops-flows (50) flows
(token, /IDMOBILE/ formfilling, the consent POST, /GET/ polls until final) are run one at a
time, with INFO commandstats read after each step: calls of each command per flow and per
step, and the commands the idle server sends in 2 s (housekeeping, not the flows').

This machine has 2 cores: dqe-mock, wrk and redis-server share them, so (c) cannot show two
workers scaling (both workers sit on the server's one core); the report says so.

Exit status: 0 with figures (a missed target included), 1 when wrk, redis-server or a server
cannot be had, 2 when some answers were not the expected ones.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import bench_wrk as bw  # noqa: E402 - the shared machinery, found next to this file

REDIS_SERVER = "/usr/bin/redis-server"


@dataclass(frozen=True)
class Setup:
    """One server setup: its store and number of worker processes."""

    key: str
    label: str
    redis: bool
    workers: int


SETUPS: tuple[Setup, ...] = (
    Setup("memory", "(a) memory store, 1 worker", False, 1),
    Setup("redis", "(b) Redis store, 1 worker", True, 1),
    Setup("redis-2w", "(c) Redis store, 2 workers", True, 2),
)

# Issue 16: "the Redis store's overhead on /GET/ polls at most 2x the memory store's latency
# at p50" -- judged on both /GET/ workloads, as the ratio of p50s (b) / (a) of one run.
TARGETS: tuple[bw.Target, ...] = (
    bw.Target(
        "Redis store's /GET/ pending p50 at most 2x the memory store's",
        "poll_pending",
        2.0,
        higher_is_better=False,
        unit="x memory",
    ),
    bw.Target(
        "Redis store's /GET/ finished p50 at most 2x the memory store's",
        "poll_finished",
        2.0,
        higher_is_better=False,
        unit="x memory",
    ),
)

TWO_CORES = (
    "2-CORE MACHINE: dqe-mock (every worker), wrk and redis-server share 2 cores, so (c) puts "
    "two workers on the server's one core: it shows the cost of a second process, not worker "
    "scaling, which needs a core per worker (plus Redis's and the load generator's own)."
)

# Commands of the benchmark itself, left out of the per-flow counts. (Commandstats also counts
# each command a Lua script runs, besides the script's own EVALSHA.)
OWN_COMMANDS = frozenset({"info", "config|resetstat", "ping", "flushall"})
FLOW_STEPS = ("token", "initiation", "consent", "polls")


# ---------------------------------------------------------------- pure parts (tested) ---------


def parse_commandstats(info: str) -> dict[str, dict[str, float]]:
    """The `# Commandstats` section of Redis's INFO text as {command: {field: value}}, e.g.
    `cmdstat_client|setinfo:calls=2,usec=3,...` -> {"client|setinfo": {"calls": 2.0, ...}}.
    Lines of other sections are ignored. Raises ValueError on a malformed cmdstat line."""
    found: dict[str, dict[str, float]] = {}
    for raw in info.splitlines():
        line = raw.strip()
        if not line.startswith("cmdstat_"):
            continue
        name, sep, rest = line[len("cmdstat_") :].partition(":")
        if not sep or not name:
            raise ValueError(f"malformed commandstats line: {line!r}")
        fields: dict[str, float] = {}
        for pair in rest.split(","):
            key, eq, value = pair.partition("=")
            if not eq:
                raise ValueError(f"malformed commandstats line: {line!r}")
            fields[key] = float(value)
        found[name] = fields
    return found


def calls_between(
    before: Mapping[str, Mapping[str, float]], after: Mapping[str, Mapping[str, float]]
) -> dict[str, int]:
    """Calls of each command from one commandstats reading to a later one (commands that
    were not called in between, and the benchmark's own INFO/CONFIG/PING/FLUSHALL, left
    out), sorted by name."""
    delta: dict[str, int] = {}
    for name in sorted(after):
        if name in OWN_COMMANDS:
            continue
        calls = int(after[name].get("calls", 0) - before.get(name, {}).get("calls", 0))
        if calls:
            delta[name] = calls
    return delta


def per_flow(steps: Mapping[str, Mapping[str, int]], flows: int) -> dict[str, dict[str, float]]:
    """{command: {step: calls per flow, ..., "total": calls per flow}} from the calls each
    flow step made over `flows` flows ({step: {command: calls}}). Raises ValueError when
    `flows` is not positive."""
    if flows <= 0:
        raise ValueError("no flows to divide by")
    commands = sorted({name for calls in steps.values() for name in calls})
    table: dict[str, dict[str, float]] = {}
    for name in commands:
        row = {step: steps.get(step, {}).get(name, 0) / flows for step in FLOW_STEPS}
        row["total"] = sum(row.values())
        table[name] = row
    return table


def compare(setups: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per workload, the ratios b/a and c/b of req/s and of p50 (None where a setup was not
    measured). `setups` maps a setup key to {"workloads": [{"key", "label", "rps",
    "p50_ms", ...}]} (the JSON document's shape)."""

    def figures(key: str) -> dict[str, Mapping[str, Any]]:
        setup = setups.get(key) or {}
        return {w["key"]: w for w in setup.get("workloads") or []}

    a, b, c = figures("memory"), figures("redis"), figures("redis-2w")
    order = list(a) + [k for k in b if k not in a] + [k for k in c if k not in a and k not in b]
    rows = []
    for key in order:
        wa, wb, wc = a.get(key, {}), b.get(key, {}), c.get(key, {})
        rows.append(
            {
                "key": key,
                "label": (wa or wb or wc)["label"],
                "rps_b_over_a": bw.ratio(wb.get("rps"), wa.get("rps")),
                "rps_c_over_b": bw.ratio(wc.get("rps"), wb.get("rps")),
                "p50_b_over_a": bw.ratio(wb.get("p50_ms"), wa.get("p50_ms")),
                "p50_c_over_b": bw.ratio(wc.get("p50_ms"), wb.get("p50_ms")),
            }
        )
    return rows


def target_rows(comparisons: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each target of TARGETS judged on the p50 ratio b/a of its workload: name, measured,
    limit, unit, verdict ('met', 'missed' or 'not measured')."""
    by_key = {c["key"]: c for c in comparisons}
    rows = []
    for target in TARGETS:
        measured = by_key.get(target.subject, {}).get("p50_b_over_a")
        rows.append(
            {
                "name": target.name,
                "measured": measured,
                "limit": target.limit,
                "unit": target.unit,
                "verdict": bw.verdict(target, measured),
            }
        )
    return rows


def redis_cost(rps: float, redis_cpu_pct: float) -> float | None:
    """Microseconds of Redis CPU per mock request: Redis's share of a core over the requests
    per second it served (None without requests). 1e6 over it is the mock requests per second
    one Redis core would take at that mix."""
    if rps <= 0:
        return None
    return round(redis_cpu_pct / 100 / rps * 1e6, 1)


def missed_line(targets: Sequence[Mapping[str, Any]]) -> str:
    """`MISSED: a; b` naming every missed target, else a line saying the measured ones are
    met (or that none was measured)."""
    missed = [t["name"] for t in targets if t["verdict"] == "missed"]
    if missed:
        return "MISSED: " + "; ".join(missed)
    if all(t["verdict"] == "not measured" for t in targets):
        return "NOT MEASURED: no target could be judged (see the warnings)."
    return "Every measured target is met."


# ---------------------------------------------------------------- redis-server ----------------


def resp_command(*args: str) -> bytes:
    """A command in Redis's protocol (RESP2): an array of bulk strings."""
    out = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        data = arg.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


def read_reply(stream: Any) -> str | int | None:
    """One RESP2 reply (simple string, error, integer or bulk string) from a binary file
    object. Raises RuntimeError on a Redis error reply or a reply of another type."""
    line = stream.readline()
    if not line:
        raise RuntimeError("Redis closed the connection")
    kind, rest = line[:1], line[1:].rstrip(b"\r\n")
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise RuntimeError(f"Redis: {rest.decode()}")
    if kind == b":":
        return int(rest)
    if kind == b"$":
        size = int(rest)
        if size < 0:
            return None
        data: bytes = stream.read(size + 2)
        return data[:size].decode()
    raise RuntimeError(f"unexpected Redis reply {line[:40]!r}")


@dataclass
class RedisServer:
    """Our own redis-server on a free port of 127.0.0.1, pinned to `cpu`, no persistence,
    its files in a temporary directory removed by stop()."""

    cpu: int
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    workdir: Path | None = None

    @property
    def url(self) -> str:
        return f"redis://{bw.HOST}:{self.port}/0"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 10) -> None:
        """Start it and wait (at most `timeout` s) for PONG. Raises RuntimeError when
        redis-server is missing or does not answer."""
        if not os.access(REDIS_SERVER, os.X_OK):
            raise RuntimeError(f"{REDIS_SERVER} is missing: apt-get install redis-server")
        self.workdir = Path(tempfile.mkdtemp(prefix="dqe-bench-redis-"))
        self.port = bw.free_port()
        argv = ["taskset", "-c", str(self.cpu), REDIS_SERVER, "--port", str(self.port)]
        argv += ["--bind", bw.HOST, "--save", "", "--appendonly", "no"]
        argv += ["--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            with contextlib.suppress(OSError, RuntimeError):
                if self.call("PING") == "PONG":
                    return
            time.sleep(0.05)
        log = self.workdir / "redis.log"
        tail = log.read_text(errors="replace")[-400:] if log.exists() else ""
        self.stop()
        raise RuntimeError(f"redis-server gave no PONG within {timeout:.0f} s: {tail}")

    def call(self, *args: str) -> str | int | None:
        """One command on a new connection; its reply."""
        with socket.create_connection((bw.HOST, self.port), timeout=5) as sock:
            sock.sendall(resp_command(*args))
            with sock.makefile("rb") as stream:
                return read_reply(stream)

    def commandstats(self) -> dict[str, dict[str, float]]:
        return parse_commandstats(str(self.call("INFO", "commandstats")))

    def version(self) -> str:
        info = str(self.call("INFO", "server"))
        for line in info.splitlines():
            if line.startswith("redis_version:"):
                return line.split(":", 1)[1].strip()
        return "unknown"

    def stop(self) -> None:
        """TERM (KILL after 10 s) by PID; its temporary directory removed."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
            self.proc = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


# ---------------------------------------------------------------- measuring -------------------


@dataclass
class StateBench(bw.Bench):
    """bench_wrk's Bench over every setup's server, with the CPU of the server's own
    redis-server over each wrk run (% of one core)."""

    redis_of: dict[str, RedisServer] = field(default_factory=dict)  # by server name
    # an idle server on the same Redis, by the name of the server it follows
    follower_of: dict[str, bw.Server] = field(default_factory=dict)

    def run_wrk(
        self,
        server: bw.Server,
        script: str,
        url: str,
        seconds: int,
        tag: str,
        env: Mapping[str, str],
        threads: int = 1,
    ) -> dict[str, Any]:
        redis = self.redis_of.get(server.name)
        redis = redis if redis is not None and redis.proc is not None else None
        follower = self.follower_of.get(server.name)
        follower = follower if follower is not None and follower.proc is not None else None
        f0 = bw.tree_ticks(follower.pid) if follower else 0
        r0, began = (bw.tree_ticks(redis.pid) if redis else 0), time.perf_counter()
        result = super().run_wrk(server, script, url, seconds, tag, env, threads)
        wall = time.perf_counter() - began
        if follower is not None:
            follower_pct = 100 * (bw.tree_ticks(follower.pid) - f0) / bw.CLK_TCK / wall
            result["follower_cpu_pct"] = round(follower_pct, 1)
            result["follower_us_per_request"] = redis_cost(result["rps"], follower_pct)
        if redis is not None:
            redis_pct = 100 * (bw.tree_ticks(redis.pid) - r0) / bw.CLK_TCK / wall
            result["redis_cpu_pct"] = round(redis_pct, 1)
            result["redis_us_per_request"] = redis_cost(result["rps"], redis_pct)
            # Redis shares a core with wrk or the server: count it out of "others" there.
            if self.args.redis_cpu == self.args.client_cpu:
                others = result["others_cpu1_pct"] - redis_pct
                result["others_cpu1_pct"] = round(max(others, 0), 1)
            elif self.args.redis_cpu == self.args.server_cpu:
                result["others_cpu0_pct"] = round(max(result["others_cpu0_pct"] - redis_pct, 0), 1)
        return result


FLOWS_LABEL = "whole consent flows (token, formfilling, consent, /GET/)"


def measure_back_to_back(
    bench: StateBench, servers: Mapping[str, bw.Server]
) -> dict[str, list[dict[str, Any]]]:
    """Every workload on every setup's server, the setups back to back for each workload (so
    the figures of a ratio are taken seconds apart on a VM whose speed drifts), in
    bench_wrk's order with whole flows right before /ACCESS_TOKEN/ (whose tokens fill the
    store). Each server gets its own tokens and sessions. {setup key: rows}."""
    works = {
        key: with_spread_polls(bw.workloads(srv.base), srv.base, bench.args.connections)
        for key, srv in servers.items()
    }
    rows: dict[str, list[dict[str, Any]]] = {key: [] for key in servers}
    first = next(iter(works.values()))
    for i, work in enumerate(first):
        if work.key == "access_token":
            print("whole consent flows", file=sys.stderr)
            for key, srv in servers.items():
                print(f"  {key}", file=sys.stderr)
                flows = bench.measure(srv, None, "flows")
                rows[key].append({"key": "flows", "label": FLOWS_LABEL, **flows})
        print(work.label, file=sys.stderr)
        for key, srv in servers.items():
            print(f"  {key}", file=sys.stderr)
            own = works[key][i]
            rows[key].append(
                {"key": own.key, "label": own.label, **bench.measure(srv, own, own.key)}
            )
    return rows


def measure_follower(bench: StateBench, server: bw.Server, run_dir: Path) -> list[dict[str, Any]]:
    """What one more process on the same Redis costs while it serves nothing: every process
    follows the event stream (journal, client report), so each folds every other's requests.
    A server with (b)'s options on (b)'s Redis, pinned to the client core, idle, while (b)
    runs whole flows and finished polls again; its CPU over the requests (b) served is the
    fold's cost per request, which each replica pays for every request of every replica."""
    redis = bench.redis_of[server.name]
    serve = ["--state", redis.url, *bench.args.serve_args]
    follower = bw.Server(
        "dqe-mock-follower", bw.mock_argv(serve), bench.args.client_cpu, run_dir, bw.TOKEN_PROBE
    )
    follower.launch(bench.args.start_timeout)
    bench.follower_of[server.name] = follower
    rows: list[dict[str, Any]] = []
    try:
        finished = next(
            w for w in bw.workloads(server.base) if w.key == "poll_finished"
        )  # a new session: the follower has seen it made
        print("(b) again, with an idle process following its Redis", file=sys.stderr)
        print("  whole consent flows", file=sys.stderr)
        rows.append(
            {"key": "flows", "label": FLOWS_LABEL, **bench.measure(server, None, "flows.f")}
        )
        print(f"  {finished.label}", file=sys.stderr)
        measured = bench.measure(server, finished, "poll_finished.f")
        rows.append({"key": finished.key, "label": finished.label, **measured})
    finally:
        del bench.follower_of[server.name]
        follower.stop()
    return rows


SPREAD = "poll_pending_spread"


def with_spread_polls(works: list[bw.Workload], base: str, sessions: int) -> list[bw.Workload]:
    """bench_wrk's workloads plus one of this benchmark's own, right after the pending poll:
    /GET/ of `sessions` pending sessions, one a connection. bench_wrk's pending poll sends
    every connection's polls to one session, which a client never does, and a store that
    serialises the changes of one session pays that contention there; this row shows the
    store's cost without it."""
    pending = next(w for w in works if w.key == "poll_pending")
    query = pending.path.split("&token=")[0]
    paths = tuple(
        f"{query}&token={bw.session_token(base, bw.PENDING_NUMBER)}" for _ in range(sessions)
    )
    spread = bw.Workload(
        SPREAD,
        "/GET/ pending, a session per connection (extra)",
        "GET",
        paths[0],
        None,
        pending.expect,
        paths=paths,
    )
    at = works.index(pending) + 1
    return [*works[:at], spread, *works[at:]]


def flow_steps(base: str) -> Iterator[tuple[str, int]]:
    """One whole flow on `base` (flow.lua's steps, over one keep-alive connection); yields
    (step, HTTP requests it took) once each step is done: token, initiation, consent, polls
    (/GET/ until the final answer, at most 100). Raises RuntimeError on an answer that is not
    the expected one."""
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or bw.HOST, parts.port, timeout=10)
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def send(method: str, path: str, body: Mapping[str, str] | None = None) -> tuple[int, Any]:
        data = urllib.parse.urlencode(body) if body is not None else None
        conn.request(method, path, body=data, headers=form if data is not None else {})
        reply = conn.getresponse()
        raw = reply.read()
        if reply.status == 302:
            return reply.status, reply.getheader("Location", "")
        return reply.status, json.loads(raw) if raw.startswith(b"{") else raw.decode()

    try:
        status, answer = send("GET", bw.TOKEN_PROBE)
        if status != 200 or "access_token" not in answer:
            raise RuntimeError(f"/ACCESS_TOKEN/: {status} {answer}")
        token = answer["access_token"]
        yield "token", 1
        initiation = {
            "number": bw.FLOW_NUMBER,
            "token": token,
            "mode": "2",
            "name": "ACME",
            "licence": bw.LICENCE,
            "scope": "formfilling",
            "redirect_uri": "https://partner.example/cb",
        }
        status, answer = send("POST", "/IDMOBILE/", initiation)
        if status != 200 or answer.get("status") != "success":
            raise RuntimeError(f"/IDMOBILE/: {status} {answer}")
        yield "initiation", 1
        consent = urllib.parse.urlsplit(answer["url"])
        path = consent.path + (f"?{consent.query}" if consent.query else "")
        status, location = send("POST", path, {"decision": "approve", "otp": "123456"})
        if status != 302 or "status=success" not in location:
            raise RuntimeError(f"consent: {status} {location}")
        yield "consent", 1
        poll = "/GET/?" + urllib.parse.urlencode(
            {"token": token, "Licence": bw.LICENCE, "scope": "formfilling"}
        )
        polls = 0
        while polls < 100:
            polls += 1
            status, answer = send("GET", poll)
            if status != 200:
                raise RuntimeError(f"/GET/: {status} {answer}")
            if answer.get("status") != "pending":
                break
        if answer.get("status") != "success":
            raise RuntimeError(f"/GET/ final answer: {answer}")
        yield "polls", polls
    finally:
        conn.close()


def redis_ops_per_flow(redis: RedisServer, base: str, flows: int) -> dict[str, Any]:
    """Run `flows` whole flows one at a time on the server at `base`, reading INFO
    commandstats after each step; the calls per flow of each command by step, the requests
    per flow, and the commands an idle server sends in 2 s."""
    steps: dict[str, dict[str, int]] = {step: {} for step in FLOW_STEPS}
    requests = 0
    began = time.monotonic()
    for _ in range(flows):
        before = redis.commandstats()
        for step, sent in flow_steps(base):
            after = redis.commandstats()
            for name, calls in calls_between(before, after).items():
                steps[step][name] = steps[step].get(name, 0) + calls
            before = after
            requests += sent
    took = time.monotonic() - began
    time.sleep(0.2)  # writes made after the last answer count with the last step
    for name, calls in calls_between(before, redis.commandstats()).items():
        steps["polls"][name] = steps["polls"].get(name, 0) + calls
    redis.call("CONFIG", "RESETSTAT")
    time.sleep(2)
    idle = calls_between({}, redis.commandstats())
    table = per_flow(steps, flows)
    total = sum(row["total"] for row in table.values())
    return {
        "flows": flows,
        "seconds": round(took, 2),
        "requests_per_flow": round(requests / flows, 2),
        "polls_per_flow": round(requests / flows - 3, 2),
        "calls_per_flow": table,
        "total_calls_per_flow": round(total, 2),
        "calls_per_request": round(total * flows / max(requests, 1), 2),
        "idle_calls_in_2s": idle,
    }


# ---------------------------------------------------------------- the run ---------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    wrk = bw.ensure_wrk()
    run_dir = Path(args.run_dir or tempfile.mkdtemp(prefix="dqe-bench-state-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    print(f"logs and wrk outputs in {run_dir}", file=sys.stderr)
    chosen = [s for s in SETUPS if s.key in args.setups]
    results: dict[str, Any] = {
        "tool": "benchmarks/bench_state.py",
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "git": bw.git_revision(),
        "versions": bw.versions(wrk),
        "machine": {
            "cpus": os.cpu_count(),
            "server_cpu": args.server_cpu,
            "client_cpu": args.client_cpu,
            "redis_cpu": args.redis_cpu,
            "note": TWO_CORES if (os.cpu_count() or 0) <= 2 else "",
        },
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "wrk": f"taskset -c {args.client_cpu} wrk -t1 -c{args.connections} "
            f"-d{args.duration}s --timeout 5s (flows and the spread poll: -t{args.connections})",
            "serve_args": args.serve_args,
            "setups": [s.key for s in chosen],
            "ops_flows": args.ops_flows,
        },
        "setups": {},
        "redis": {},
        "redis_ops": None,
        "warnings": [],
    }
    results["speed_index_s"] = {"start": bw.speed_index(args.server_cpu)}
    bench = StateBench(args, wrk, run_dir, [])
    servers: dict[str, bw.Server] = {}
    try:
        for setup in chosen:
            out: dict[str, Any] = {"label": setup.label, "workers": setup.workers}
            results["setups"][setup.key] = out
            name = f"dqe-mock-{setup.key}"
            state = "memory"
            if setup.redis:  # a redis-server of its own: its calls and CPU are this setup's
                redis = RedisServer(args.redis_cpu)
                redis.start()
                bench.redis_of[name] = redis
                results["versions"]["redis"] = redis.version()
                results["redis"][setup.key] = {
                    "pid": redis.pid,
                    "port": redis.port,
                    "dir": str(redis.workdir),
                }
                state = redis.url
            serve = ["--state", state, "--workers", str(setup.workers), *args.serve_args]
            out["serve_args"] = serve
            server = bw.Server(name, bw.mock_argv(serve), args.server_cpu, run_dir, bw.TOKEN_PROBE)
            try:
                server.launch(args.start_timeout)
            except RuntimeError as exc:
                out["error"] = str(exc)
                bench.warnings.append(f"{setup.label}: not measured: {exc}")
                continue
            bench.servers.append(server)
            servers[setup.key] = server
        redis_b = bench.redis_of.get("dqe-mock-redis")
        if redis_b is not None and "redis" in servers and args.ops_flows > 0:
            print(f"Redis calls of {args.ops_flows} whole flows on (b)", file=sys.stderr)
            redis_b.call("CONFIG", "RESETSTAT")
            results["redis_ops"] = redis_ops_per_flow(
                redis_b, servers["redis"].base, args.ops_flows
            )
        for key, rows in measure_back_to_back(bench, servers).items():
            results["setups"][key]["workloads"] = rows
        if "redis" in servers and not args.no_follower:
            results["follower"] = measure_follower(bench, servers["redis"], run_dir)
        for setup in chosen:
            server = servers.get(setup.key)
            if server is None:
                continue
            out = results["setups"][setup.key]
            redis = bench.redis_of.get(server.name)
            if redis is not None:
                calls = calls_between({}, redis.commandstats())
                out["redis_calls"] = sum(calls.values())
                if not calls:
                    bench.warnings.append(
                        f"{setup.label}: the server sent Redis no command: this build has no "
                        "Redis store, so these are the memory store's figures"
                    )
                    out["not_on_redis"] = True
            out["rss_after_load_bytes"] = bw.rss_bytes(server.pid)
            # processes serving (a parent of workers included), counted after the load
            out["processes"] = len(bw.descendants(server.pid))
            if setup.workers > 1 and out["processes"] < setup.workers:
                bench.warnings.append(
                    f"{setup.label}: {out['processes']} server process(es), not "
                    f"{setup.workers}: this build does not start workers"
                )
                out["not_workers"] = True
    finally:
        for server in servers.values():
            server.stop()
        for redis in bench.redis_of.values():
            redis.stop()
    results["speed_index_s"]["end"] = bw.speed_index(args.server_cpu)
    results["warnings"] = bench.warnings
    judged = {
        k: v
        for k, v in results["setups"].items()
        if not v.get("not_on_redis") and not v.get("not_workers")
    }
    results["comparisons"] = compare(judged)
    results["targets"] = target_rows(results["comparisons"])
    results["missed"] = [t["name"] for t in results["targets"] if t["verdict"] == "missed"]
    results["bad_answers"] = [
        f"{setup['label']}, {w['label']}: {w.get('non2xx', 0)} non-2xx, "
        f"{w.get('unexpected', 0)} unexpected, {bw.socket_errors(w)} socket errors; "
        f"first: {w.get('sample', '-')}"
        for setup in results["setups"].values()
        for w in setup.get("workloads") or []
        if w.get("non2xx") or w.get("unexpected") or bw.socket_errors(w)
    ]
    return results


def report(results: Mapping[str, Any]) -> str:
    """The markdown report of a run: each setup's figures, the ratios, the target, the Redis
    calls per flow, and the 2-core caveat."""
    v, s, m = results["versions"], results["settings"], results["machine"]
    git = results["git"]
    out = [
        f"dqe-mock {v['dqe_mock']} ({git['revision'][:12]}{', dirty' if git['dirty'] else ''}), "
        f"Python {v['python']}, aiohttp {v['aiohttp']}, wrk {v['wrk']}, "
        f"redis-server {v.get('redis', '-')}; {s['wrk']}",
        f"dqe-mock (all its workers) on CPU {m['server_cpu']}, wrk on CPU {m['client_cpu']}, "
        f"redis-server on CPU {m['redis_cpu']}; serve options: "
        f"{' '.join(s['serve_args']) or '(defaults)'}",
        f"speed index (10M-iteration loop on the server's CPU): "
        f"{results['speed_index_s']['start']} s at start, {results['speed_index_s'].get('end')} s "
        "at end",
        "",
    ]
    header = ["workload", "setup", "req/s", "p50 ms", "p99 ms", "non-2xx", "wrong"]
    header += ["srv cpu %", "redis cpu %", "redis µs/req", "others cpu0/cpu1 %", "wrk cpu %"]
    rows = []
    setups = results["setups"]
    keys = [w["key"] for st in setups.values() for w in st.get("workloads") or []]
    for key in dict.fromkeys(keys):
        for setup in setups.values():
            w = next((w for w in setup.get("workloads") or [] if w["key"] == key), None)
            if w is None:
                continue
            rate = bw.fmt_rate(w["rps"])
            if key == "flows":
                rate = f"{rate} ({w['flows_per_s']:.0f} flows/s)"
            rows.append(
                [
                    w["label"],
                    setup["label"],
                    rate,
                    f"{w['p50_ms']:.2f}",
                    f"{w['p99_ms']:.2f}",
                    w["non2xx"],
                    w["unexpected"],
                    f"{w['srv_cpu_pct']:.0f}",
                    f"{w['redis_cpu_pct']:.0f}" if "redis_cpu_pct" in w else "-",
                    "-" if w.get("redis_us_per_request") is None else w["redis_us_per_request"],
                    f"{w['others_cpu0_pct']:.0f}/{w['others_cpu1_pct']:.0f}",
                    f"{w['wrk_cpu_pct']:.0f}",
                ]
            )
    out.append(bw.markdown(header, rows))
    out.append(
        "\nsrv cpu = the server's process tree (every worker), % of one core; redis cpu = "
        "redis-server over the same window; redis µs/req = Redis CPU per mock request (1e6 "
        "over it: the requests/s one Redis core takes at that mix); others = every other "
        "process on each core (Redis counted out); flows: requests/s of whole flows."
    )
    crows = [
        [
            c["label"],
            bw.fmt_ratio(c["rps_b_over_a"]),
            bw.fmt_ratio(c["rps_c_over_b"]),
            bw.fmt_ratio(c["p50_b_over_a"]),
            bw.fmt_ratio(c["p50_c_over_b"]),
        ]
        for c in results["comparisons"]
    ]
    out += [
        "",
        bw.markdown(["workload", "req/s b/a", "req/s c/b", "p50 b/a", "p50 c/b"], crows),
    ]
    trows = [
        [t["name"], "-" if t["measured"] is None else f"{t['measured']:.2f}x", t["verdict"]]
        for t in results["targets"]
    ]
    out += ["", bw.markdown(["target (issue 16)", "measured", "verdict"], trows), ""]
    out.append(missed_line(results["targets"]))
    followed = results.get("follower") or []
    if followed:
        frows = [
            [
                w["label"],
                bw.fmt_rate(w["rps"]),
                f"{w['srv_cpu_pct']:.0f}",
                f"{w.get('follower_cpu_pct', 0):.0f}",
                "-" if w.get("follower_us_per_request") is None else w["follower_us_per_request"],
            ]
            for w in followed
        ]
        out += [
            "",
            "(b) again with an idle process on the same Redis (pinned to wrk's core): every "
            "process folds every request's journal event, so each replica pays this for each "
            "request of every replica:",
            "",
            bw.markdown(
                ["workload", "(b) req/s", "(b) cpu %", "follower cpu %", "follower µs/req"],
                frows,
            ),
        ]
    ops = results.get("redis_ops")
    if ops:
        out += [
            "",
            f"Redis calls per whole flow ({ops['flows']} flows one at a time on (b): token, "
            f"initiation, consent, {ops['polls_per_flow']:g} polls; "
            f"{ops['requests_per_flow']:g} requests a flow):",
            "",
        ]
        orows = [
            [name, *(f"{row[step]:.2f}" for step in (*FLOW_STEPS, "total"))]
            for name, row in ops["calls_per_flow"].items()
        ]
        orows.append(["all commands", "", "", "", "", f"{ops['total_calls_per_flow']:.2f}"])
        out.append(bw.markdown(["command", *FLOW_STEPS, "per flow"], orows))
        idle = ", ".join(f"{k} {n}" for k, n in ops["idle_calls_in_2s"].items()) or "none"
        out.append(
            f"\n{ops['calls_per_request']:.2f} Redis calls per HTTP request of a flow; an idle "
            f"server sent in 2 s: {idle}."
        )
    for line in results["bad_answers"]:
        out.append("WRONG ANSWERS: " + line)
    measured = [w for st in setups.values() for w in st.get("workloads") or []]
    busy = [w for w in measured if not w["quiet_before"]["quiet"]]
    if busy:
        out.append(
            f"BUSY MACHINE: {len(busy)} of {len(measured)} measurements started while other "
            "processes used the cores: figures are depressed and ratios noisier."
        )
    if m.get("note"):
        out.append(m["note"])
    for line in results["warnings"]:
        out.append("warning: " + line)
    return "\n".join(out)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = bw.common_parser(__doc__ or "")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="--duration 3 --warmup 1 --ops-flows 20 --quiet-budget 20: ~1.5 min, noisier",
    )
    parser.add_argument(
        "--setups",
        default="memory,redis,redis-2w",
        help="which setups, comma-separated: memory (a), redis (b), redis-2w (c) (all three)",
    )
    parser.add_argument(
        "--ops-flows", type=int, default=50, help="flows whose Redis calls are counted (50)"
    )
    parser.add_argument(
        "--no-follower",
        action="store_true",
        help="skip measuring an idle process that follows (b)'s Redis (~25 s)",
    )
    parser.add_argument("--redis-cpu", type=int, default=None, help="core of redis-server (wrk's)")
    args = bw.parse_common(parser, argv)
    if args.quick:
        args.duration, args.warmup = min(args.duration, 3), min(args.warmup, 1)
        args.ops_flows, args.quiet_budget = min(args.ops_flows, 20), min(args.quiet_budget, 20)
    if args.redis_cpu is None:
        args.redis_cpu = args.client_cpu
    args.setups = [k.strip() for k in args.setups.split(",") if k.strip()]
    known = [s.key for s in SETUPS]
    unknown = [k for k in args.setups if k not in known]
    if unknown or not args.setups:
        parser.error(f"--setups: {', '.join(unknown) or 'none given'}; choose from {known}")
    if args.ops_flows < 0:
        parser.error("--ops-flows must not be negative")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # A TERM (a CI timeout, `kill PID`) unwinds like Ctrl-C: servers and Redis are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return bw.run_and_report(args, run, report)


if __name__ == "__main__":
    sys.exit(main())

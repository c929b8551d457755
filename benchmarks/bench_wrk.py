#!/usr/bin/env python3
"""dqe-mock against a bare aiohttp handler in the same run, load from wrk on another core.

    .venv/bin/python benchmarks/bench_wrk.py                      # ~3 min, default settings
    .venv/bin/python benchmarks/bench_wrk.py --json results.json -- --log-level WARNING
    .venv/bin/python benchmarks/bench_wrk.py --duration 4 --warmup 1     # quicker, noisier
    .venv/bin/python benchmarks/bench_wrk.py --sessions 100000           # + RSS of 100k sessions

Both servers run with this interpreter (so the same aiohttp) on 127.0.0.1, free ports, pinned
to --server-cpu (0) with taskset: benchmarks/bare_aiohttp.py (constant JSON bytes, no access
log) and `dqe-mock serve --scenarios benchmarks/bench-licence.yaml --no-watch --token-ttl 3600`
plus whatever follows `--` (e.g. `-- --log-level WARNING`). wrk (Debian's; installed with apt
when missing) runs pinned to --client-cpu (1), one thread, --connections (32) keep-alive
connections, and checks every answer (benchmarks/wrk/checked.lua). For each workload the bare
handler gets the very same request right before dqe-mock does; the ratio of the two is the
figure that means something on a VM whose speed drifts from minute to minute.

Workloads: /IDMOBILE/ matching_notp GET (query) and POST (form), with the 12 documented
user_infos keys; /GET/ of a pending session (the pack's consent-abandoned number, which stays
pending until its token expires) and of a finished one (consent-auto, success every time);
/ACCESS_TOKEN/; an error answer (a malformed number: error 10); whole consent flows
(benchmarks/wrk/flow.lua: token, /IDMOBILE/ formfilling, the operator page's POST, /GET/ until
final, every answer checked). Also: launch to first answer of each server (median of --starts),
RSS idle after start, and with --sessions N, RSS of a fresh dqe-mock holding N live sessions
(sessions_rss.py's realistic sessions). Before each measurement the script waits (bounded)
until other processes use less than --quiet-pct of either core; each row shows the server's
CPU (from /proc/PID/stat: ~100 % means CPU-bound on its core) and what else ran on each core.

Prints markdown tables and the verdict on each target of issue 14, and writes every figure to
--json PATH. Exit status 0 even when targets are missed (they are figures, not a gate); 1 when
wrk cannot be had or a server does not start; 2 on bad answers (a workload's answers were not
the expected ones, so its figure is void).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WRK_DIR = HERE / "wrk"
LICENCE_FILE = HERE / "bench-licence.yaml"
LICENCE, SECRET = "L1", "bench-secret"
HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

# The 12 user_infos keys of the DQE docs (/IDMOBILE/, scope matching_notp), the values of the
# bench-peers stub's form, so the figures compare with its table.
USER_INFOS = {
    "street_address": "rue de la Paix",
    "postal_code": "75002",
    "locality": "Paris",
    "country": "France",
    "birthdate": "1980-01-01",
    "email": "jean.dupont@example.com",
    "lastname": "Dupont",
    "maiden_name": "",
    "gender": "M",
    "firstname": "Jean",
    "phone": "0612345678",
    "number": "1",
}
PENDING_NUMBER = "0639983003"  # consent-abandoned: pending until the token expires
FINISHED_NUMBER = "0639983005"  # consent-auto: consent done at /IDMOBILE/, /GET/ success
FLOW_NUMBER = "0639980001"  # orange-happy
BAD_NUMBER = "0600"  # not a phone number: error 10

# Issue 14's targets: ratio to bare in the same run (higher is better), start time as a ratio
# of bare's (lower is better), RSS of 100,000 live sessions in bytes (lower is better).
MB = 1_000_000
MIB = 1024 * 1024


@dataclass(frozen=True)
class Target:
    """One target of issue 14: `subject` is a workload key, "start" or "sessions_rss"."""

    name: str
    subject: str
    limit: float
    stretch: float | None = None
    higher_is_better: bool = True
    unit: str = "x bare"


TARGETS: tuple[Target, ...] = (
    Target("matching_notp GET >= 0.5x bare (stretch 0.7x)", "matching_get", 0.5, 0.7),
    Target("matching_notp POST >= 0.5x bare (stretch 0.7x)", "matching_post", 0.5, 0.7),
    Target("/GET/ pending poll >= 0.7x bare (stretch 0.8x)", "poll_pending", 0.7, 0.8),
    Target("/GET/ finished poll >= 0.7x bare (stretch 0.8x)", "poll_finished", 0.7, 0.8),
    Target("/ACCESS_TOKEN/ >= 0.7x bare", "access_token", 0.7),
    Target("start <= 1.5x bare's", "start", 1.5, higher_is_better=False, unit="x bare"),
    Target(
        "100,000 live sessions < 150 MB RSS",
        "sessions_rss",
        150 * MB,
        higher_is_better=False,
        unit="bytes",
    ),
)


# ---------------------------------------------------------------- pure parts (tested) ---------


def parse_wrk_output(text: str) -> dict[str, Any]:
    """The figures of a wrk run that used benchmarks/wrk/*.lua: the `WRKRESULT k=v ...` line
    as a dict (ints where the value is an integer, else floats), plus `sample` (the text of
    the `WRKSAMPLE` line, the first wrong answer) when there is one.
    Raises ValueError when there is no WRKRESULT line (wrk failed: its output says why)."""
    found: dict[str, Any] | None = None
    sample = None
    for line in text.splitlines():
        if line.startswith("WRKRESULT ") and found is None:
            found = {}
            for pair in line.split()[1:]:
                key, _, value = pair.partition("=")
                found[key] = int(value) if re.fullmatch(r"-?\d+", value) else float(value)
        elif line.startswith("WRKSAMPLE ") and sample is None:
            sample = line[len("WRKSAMPLE ") :]
    if found is None:
        raise ValueError(f"no WRKRESULT line in wrk's output: {text.strip()[-500:]!r}")
    if sample is not None:
        found["sample"] = sample
    return found


def socket_errors(result: Mapping[str, Any]) -> int:
    """wrk's connect, read, write and timeout errors of one run, added up."""
    keys = ("err_connect", "err_read", "err_write", "err_timeout")
    return sum(int(result.get(k, 0)) for k in keys)


def ratio(value: float | None, base: float | None) -> float | None:
    """value / base, or None when either is missing or base is not positive."""
    if value is None or base is None or base <= 0:
        return None
    return value / base


def verdict(target: Target, measured: float | None) -> str:
    """'met (stretch)', 'met', 'missed', or 'not measured' for `measured` against `target`.
    Higher-is-better targets are met at >= limit; lower-is-better ones at <= limit for a
    ratio and < limit for a size (issue 14: "start <= 1.5x", "< 150 MB")."""
    if measured is None:
        return "not measured"
    if target.higher_is_better:
        if target.stretch is not None and measured >= target.stretch:
            return "met (stretch)"
        return "met" if measured >= target.limit else "missed"
    if target.unit == "bytes":
        return "met" if measured < target.limit else "missed"
    return "met" if measured <= target.limit else "missed"


def cpu_times(stat_line: str) -> int:
    """utime + stime (clock ticks) of a /proc/PID/stat line. The command name (field 2) may
    hold spaces and parentheses, so fields are counted after its last ')'."""
    rest = stat_line[stat_line.rindex(")") + 2 :].split()
    return int(rest[11]) + int(rest[12])  # fields 14 and 15 of proc(5)


def cpu_busy(proc_stat: str, cpu: int) -> tuple[int, int]:
    """(busy, total) jiffies of CPU `cpu` in /proc/stat's text: total is user .. steal,
    busy is that less idle and iowait."""
    for line in proc_stat.splitlines():
        parts = line.split()
        if parts and parts[0] == f"cpu{cpu}":
            user, nice, system, idle, iowait, irq, softirq, steal = map(int, parts[1:9])
            total = user + nice + system + idle + iowait + irq + softirq + steal
            return total - idle - iowait, total
    raise ValueError(f"cpu{cpu} not in /proc/stat")


def per_cpu_second(rps: float, cpu_pct: float) -> float | None:
    """Requests per second of the server's own CPU time: rps over the share of a core it
    used (None below 1 %). On a shared machine the two servers of a ratio may get different
    shares of their core; this figure does not depend on the share."""
    return round(rps * 100 / cpu_pct, 1) if cpu_pct >= 1 else None


CPU_BOUND_PCT = 90.0


def not_cpu_bound(workloads: Sequence[Mapping[str, Any]]) -> list[str]:
    """'<server> on <workload> (<cpu> %)' for each measurement whose server used less than
    CPU_BOUND_PCT % of its core: its requests/s were set by the client or by other work, not
    by the server, so a ratio with it is not the servers' ratio."""
    found = []
    for work in workloads:
        for name, side in (("bare", "bare"), ("dqe-mock", "dqe_mock")):
            figures = work.get(side)
            if figures is not None and figures["srv_cpu_pct"] < CPU_BOUND_PCT:
                found.append(f"{name} on {work['label']} ({figures['srv_cpu_pct']:.1f} %)")
    return found


def fmt_rate(value: float | None) -> str:
    """34412.3 -> '34.4k', 950.0 -> '950', None -> '-'."""
    if value is None:
        return "-"
    return f"{value / 1000:.1f}k" if value >= 1000 else f"{value:.0f}"


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def markdown(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table: header, the separator, one line per row."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def target_rows(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each target of TARGETS judged against `results` (the JSON document's shape): name,
    measured (a ratio, or bytes), limit, stretch, unit and verdict."""
    by_key = {w["key"]: w for w in results.get("workloads", [])}
    rows = []
    for target in TARGETS:
        measured: float | None
        if target.subject == "start":
            measured = results.get("start", {}).get("ratio")
        elif target.subject == "sessions_rss":
            sessions = results.get("sessions") or {}
            rss = sessions.get("rss_bytes")
            measured = float(rss) if rss is not None and sessions.get("count") == 100_000 else None
        else:
            measured = by_key.get(target.subject, {}).get("ratio")
        rows.append(
            {
                "name": target.name,
                "measured": measured,
                "limit": target.limit,
                "stretch": target.stretch,
                "unit": target.unit,
                "verdict": verdict(target, measured),
            }
        )
    return rows


def fmt_measured(row: Mapping[str, Any]) -> str:
    """A target row's measured value as people read it: '0.42x' or '138.2 MB (131.8 MiB)'."""
    value = row["measured"]
    if value is None:
        return "-"
    if row["unit"] == "bytes":
        return f"{value / MB:.1f} MB ({value / MIB:.1f} MiB)"
    return f"{value:.2f}x"


# ---------------------------------------------------------------- the machine -----------------


def ensure_wrk() -> str:
    """The path of wrk; installs Debian's package when it is missing (idempotent).
    Exits with a message when it cannot be had."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        sys.exit("wrk is not installed and there is no apt-get here: install wrk and run again")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    print("wrk is missing: installing Debian's wrk with apt-get", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in ([*sudo, apt, "update", "-qq"], [*sudo, apt, "install", "-y", "-qq", "wrk"]):
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            sys.exit(f"wrk could not be installed ({' '.join(argv)}): {' / '.join(tail)}")
    found = shutil.which("wrk")
    if not found:
        sys.exit("apt-get installed wrk but it is not on PATH")
    return found


def wrk_version(wrk: str) -> str:
    out = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10)
    first = (out.stdout or out.stderr).splitlines()[:1]
    return first[0].split()[1] if first and len(first[0].split()) > 1 else "unknown"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def read(path: str) -> str:
    with open(path) as f:
        return f.read()


def descendants(pid: int) -> list[int]:
    """pid and every process below it (from /proc/*/stat's parent field)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError):
                line = read(f"/proc/{entry}/stat")
                ppid = int(line[line.rindex(")") + 2 :].split()[1])
                parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(parents.get(p, []))
    return found


def tree_ticks(pid: int) -> int:
    total = 0
    for p in descendants(pid):
        with contextlib.suppress(OSError, ValueError):
            total += cpu_times(read(f"/proc/{p}/stat"))
    return total


def rss_bytes(pid: int) -> int:
    """VmRSS summed over the process tree, in bytes."""
    total = 0
    for p in descendants(pid):
        with contextlib.suppress(OSError):
            for line in read(f"/proc/{p}/status").splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
    return total


def git_revision() -> dict[str, Any]:
    def git(*args: str) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True)
        return done.stdout.strip() if done.returncode == 0 else ""

    return {
        "revision": git("rev-parse", "HEAD") or "unknown",
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
    }


def speed_index(cpu: int) -> float:
    """Seconds a fixed 10M-iteration Python loop takes on `cpu`: this VM's per-core speed
    drifts, and the index at the start and end of a run shows by how much."""
    began = time.perf_counter()
    subprocess.run(
        [
            "taskset",
            "-c",
            str(cpu),
            sys.executable,
            "-c",
            "s = 0\nfor i in range(10_000_000): s += i",
        ],
        check=True,
        timeout=120,
    )
    return round(time.perf_counter() - began, 2)


# ---------------------------------------------------------------- servers ---------------------


@dataclass
class Server:
    """A server process pinned to one core, on a free port of 127.0.0.1."""

    name: str
    argv: list[str]  # {port} is replaced by the port
    cpu: int
    log_dir: Path
    probe: str  # the path and query polled until the first 200
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    starts: list[float] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def launch(self, timeout: float) -> float:
        """Start it; seconds from launch to the first HTTP 200 on `probe` (polled every 10
        ms, at most `timeout` s). Raises RuntimeError when it does not answer in time."""
        self.port = free_port()
        argv = [a.replace("{port}", str(self.port)) for a in self.argv]
        log = open(self.log_dir / f"{self.name}.log", "ab")  # noqa: SIM115 - lives with the process
        began = time.perf_counter()
        self.proc = subprocess.Popen(
            ["taskset", "-c", str(self.cpu), *argv], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = began + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                break
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.base + self.probe, timeout=1) as reply,
            ):
                if reply.status == 200:
                    took = time.perf_counter() - began
                    self.starts.append(took)
                    return took
            time.sleep(0.01)
        self.stop()
        tail = (self.log_dir / f"{self.name}.log").read_text(errors="replace")[-600:]
        raise RuntimeError(f"{self.name} gave no 200 within {timeout:.0f} s; its log: {tail}")

    def stop(self) -> None:
        """TERM, then KILL after 10 s; by PID only."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


def http_json(base: str, path: str, form: Mapping[str, str] | None = None) -> dict[str, Any]:
    """GET base+path (or POST `form` to it); the answer's JSON object."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    with urllib.request.urlopen(base + path, data=data, timeout=10) as reply:
        parsed = json.loads(reply.read())
    assert isinstance(parsed, dict)
    return parsed


def new_token(base: str) -> str:
    query = urllib.parse.urlencode(
        {"client_secret": SECRET, "grant_type": "client_idmobile", "licence": LICENCE}
    )
    return str(http_json(base, f"/ACCESS_TOKEN/?{query}")["access_token"])


# ---------------------------------------------------------------- workloads -------------------


def session_token(base: str, number: str) -> str:
    """A new token with a formfilling session of `number` started on it (/IDMOBILE/).
    Raises RuntimeError when the session does not start."""
    token = new_token(base)
    initiation = {
        "number": number,
        "token": token,
        "mode": "2",
        "name": "ACME",
        "licence": LICENCE,
        "scope": "formfilling",
    }
    answer = http_json(base, "/IDMOBILE/", initiation)
    if answer.get("status") != "success":
        raise RuntimeError(f"/IDMOBILE/ {number} did not start a session: {answer}")
    return token


@dataclass(frozen=True)
class Workload:
    """One request sent again and again; `expect`/`reject` are Lua patterns on dqe-mock's
    answer bodies (bare's constant body is checked against BARE_EXPECT)."""

    key: str
    label: str
    method: str
    path: str  # path and query
    body: str | None
    expect: str
    reject: str = '"error_id"'
    # When given: connection i sends paths[i % len(paths)] instead of `path` (wrk runs a
    # thread per connection then, as for whole flows).
    paths: tuple[str, ...] = ()


BARE_EXPECT = '"family_name":%s*1%.0'


def matching_form(token: str) -> dict[str, str]:
    return {
        "number": USER_INFOS["phone"],
        "token": token,
        "mode": "2",
        "name": "ACME",
        "licence": LICENCE,
        "scope": "matching_notp",
        "user_infos": json.dumps(USER_INFOS, separators=(",", ":")),
    }


def workloads(base: str) -> list[Workload]:
    """The workloads, their tokens and sessions made on the dqe-mock at `base`. Order
    matters: /ACCESS_TOKEN/ comes last, as its tokens fill the token store, whose bound
    (--max-tokens) would otherwise forget the tokens of the other workloads."""
    q = urllib.parse.urlencode
    matching = q(matching_form(new_token(base)))
    pending_token, finished_token = (
        session_token(base, PENDING_NUMBER),
        session_token(base, FINISHED_NUMBER),
    )
    poll = "/GET/?" + q({"Licence": LICENCE, "scope": "formfilling"})
    error_query = q(
        {
            "number": BAD_NUMBER,
            "token": new_token(base),
            "name": "ACME",
            "licence": LICENCE,
            "scope": "numVerify",
        }
    )
    token_query = q({"client_secret": SECRET, "grant_type": "client_idmobile", "licence": LICENCE})
    return [
        Workload(
            "matching_get",
            "/IDMOBILE/ matching_notp GET",
            "GET",
            f"/IDMOBILE/?{matching}",
            None,
            r'"family_name":%s*[%d.]+',
        ),
        Workload(
            "matching_post",
            "/IDMOBILE/ matching_notp POST",
            "POST",
            "/IDMOBILE/",
            matching,
            r'"family_name":%s*[%d.]+',
        ),
        Workload(
            "poll_pending",
            "/GET/ pending session",
            "GET",
            f"{poll}&token={pending_token}",
            None,
            r'"status":%s*"pending"',
        ),
        Workload(
            "poll_finished",
            "/GET/ finished session (success)",
            "GET",
            f"{poll}&token={finished_token}",
            None,
            r'"status":%s*"success".*"family_name":%s*"Dupont"',
        ),
        Workload(
            "error_10",
            "/IDMOBILE/ error answer (malformed number: 10)",
            "GET",
            f"/IDMOBILE/?{error_query}",
            None,
            r'"error_id":%s*"10"',
            reject="",
        ),
        Workload(
            "access_token",
            "/ACCESS_TOKEN/",
            "GET",
            f"/ACCESS_TOKEN/?{token_query}",
            None,
            r'"access_token":%s*"',
        ),
    ]


# ---------------------------------------------------------------- measuring -------------------


@dataclass
class Bench:
    args: argparse.Namespace
    wrk: str
    run_dir: Path
    servers: list[Server] = field(default_factory=list)
    quiet_used: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def _busy(self) -> tuple[tuple[int, int], tuple[int, int]]:
        stat = read("/proc/stat")
        return cpu_busy(stat, self.args.server_cpu), cpu_busy(stat, self.args.client_cpu)

    def _server_ticks(self) -> int:
        return sum(tree_ticks(s.pid) for s in self.servers if s.proc is not None)

    def wait_quiet(self, what: str) -> dict[str, Any]:
        """Wait (at most --quiet-wait s, --quiet-budget s a run) until processes other than
        our servers use less than --quiet-pct % of each core over a 1 s sample."""
        began = time.monotonic()
        while True:
            (b0, t0), (b1, t1) = self._busy()
            s0 = self._server_ticks()
            time.sleep(1)
            (b0b, t0b), (b1b, t1b) = self._busy()
            s1 = self._server_ticks()
            other0 = 100 * (b0b - b0 - (s1 - s0)) / max(t0b - t0, 1)
            other1 = 100 * (b1b - b1) / max(t1b - t1, 1)
            waited = time.monotonic() - began
            if other0 < self.args.quiet_pct and other1 < self.args.quiet_pct:
                quiet = True
                break
            if waited >= self.args.quiet_wait or self.quiet_used + waited >= self.args.quiet_budget:
                quiet = False
                message = (
                    f"{what}: machine busy (others: cpu{self.args.server_cpu} "
                    f"{other0:.0f} %, cpu{self.args.client_cpu} {other1:.0f} %); "
                    "measured anyway"
                )
                self.warnings.append(message)
                print("  warning: " + message, file=sys.stderr)
                break
        self.quiet_used += waited
        return {
            "quiet": quiet,
            "others_cpu0_pct": round(max(other0, 0), 1),
            "others_cpu1_pct": round(max(other1, 0), 1),
        }

    def run_wrk(
        self,
        server: Server,
        script: str,
        url: str,
        seconds: int,
        tag: str,
        env: Mapping[str, str],
        threads: int = 1,
    ) -> dict[str, Any]:
        """One wrk run pinned to --client-cpu; its WRKRESULT figures plus CPU accounting
        over the same window (% of one core): srv_cpu (the server's process tree), wrk_cpu,
        others_cpu0/1 (everything else on each core)."""
        argv = [
            "taskset",
            "-c",
            str(self.args.client_cpu),
            self.wrk,
            f"-t{threads}",
            f"-c{self.args.connections}",
            f"-d{seconds}s",
            "--timeout",
            "5s",
            "-s",
            str(WRK_DIR / script),
            url,
        ]
        (b0, t0), (c0, u0) = self._busy()
        s0 = tree_ticks(server.pid)
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run(
            argv, env={**os.environ, **env}, capture_output=True, text=True, timeout=seconds + 30
        )
        wall = time.perf_counter() - began
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        s1 = tree_ticks(server.pid)
        (b1, t1), (c1, u1) = self._busy()
        (self.run_dir / f"{server.name}.{tag}.wrk").write_text(done.stdout + done.stderr)
        result = parse_wrk_output(done.stdout + "\n" + done.stderr)
        srv = 100 * (s1 - s0) / CLK_TCK / wall
        wrk_cpu = 100 * (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / wall
        all0 = 100 * (b1 - b0) / max(t1 - t0, 1)
        all1 = 100 * (c1 - c0) / max(u1 - u0, 1)
        result.update(
            rps_per_cpu_s=per_cpu_second(result["rps"], srv),
            srv_cpu_pct=round(srv, 1),
            wrk_cpu_pct=round(wrk_cpu, 1),
            others_cpu0_pct=round(max(all0 - srv, 0), 1),
            others_cpu1_pct=round(max(all1 - wrk_cpu, 0), 1),
        )
        return result

    def measure(self, server: Server, work: Workload | None, tag: str) -> dict[str, Any]:
        """Warm up then measure one workload (None: whole flows) on one server."""
        if work is None:
            script, url, threads = "flow.lua", server.base + "/", self.args.connections
            env = {"BENCH_LICENCE": LICENCE, "BENCH_SECRET": SECRET, "BENCH_NUMBER": FLOW_NUMBER}
        else:
            script, url, threads = "checked.lua", server.base + work.path, 1
            env = {"BENCH_METHOD": work.method}
            if work.paths:
                paths_file = self.run_dir / f"{work.key}.paths"
                paths_file.write_text("\n".join(work.paths) + "\n")
                env["BENCH_PATHS_FILE"], threads = str(paths_file), self.args.connections
            if server.name == "bare":
                env["BENCH_EXPECT"] = BARE_EXPECT
            else:
                env["BENCH_EXPECT"], env["BENCH_REJECT"] = work.expect, work.reject
            if work.body is not None:
                body_file = self.run_dir / f"{work.key}.body"
                body_file.write_text(work.body)
                env["BENCH_BODY_FILE"] = str(body_file)
        if self.args.warmup > 0:
            self.run_wrk(server, script, url, self.args.warmup, f"{tag}.warm", env, threads)
        quiet = self.wait_quiet(f"{server.name} {tag}")
        result = self.run_wrk(server, script, url, self.args.duration, tag, env, threads)
        result["quiet_before"] = quiet
        return result


TOKEN_PROBE = "/ACCESS_TOKEN/?" + urllib.parse.urlencode(
    {"client_secret": SECRET, "grant_type": "client_idmobile", "licence": LICENCE}
)


def mock_argv(serve_args: Sequence[str]) -> list[str]:
    """`dqe-mock serve` as every benchmark runs it ({port} is replaced at launch): the bench
    licence, no file watching, tokens that outlive the run, then `serve_args`."""
    return [
        sys.executable,
        "-m",
        "mockserver",
        "serve",
        "--host",
        HOST,
        "--port",
        "{port}",
        "--scenarios",
        str(LICENCE_FILE),
        "--no-watch",
        "--token-ttl",
        "3600",
        *serve_args,
    ]


def start_servers(args: argparse.Namespace, run_dir: Path) -> tuple[Server, Server]:
    bare = Server(
        "bare",
        [sys.executable, str(HERE / "bare_aiohttp.py"), "{port}"],
        args.server_cpu,
        run_dir,
        TOKEN_PROBE,
    )
    mock = Server("dqe-mock", mock_argv(args.serve_args), args.server_cpu, run_dir, TOKEN_PROBE)
    return bare, mock


def timed_starts(server: Server, count: int, timeout: float) -> None:
    """Launch `server` `count` times (stopping all but the last): its start times."""
    for i in range(count):
        server.launch(timeout)
        if i < count - 1:
            server.stop()


def versions(wrk: str) -> dict[str, str]:
    import aiohttp

    from mockserver import __version__

    return {
        "dqe_mock": __version__,
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "wrk": wrk_version(wrk),
        "kernel": platform.release(),
    }


@contextlib.contextmanager
def stopping(*servers: Server) -> Iterator[None]:
    try:
        yield
    finally:
        for server in servers:
            server.stop()


def sessions_rss(args: argparse.Namespace, run_dir: Path) -> dict[str, Any]:
    """RSS of a fresh dqe-mock (same serve options, pinned) after --sessions live sessions
    made by sessions_rss.py's realistic clients (they run in this process, on the client
    core)."""
    import asyncio

    import sessions_rss as grow

    _, mock = start_servers(args, run_dir)
    mock.name = "dqe-mock-sessions"
    os.sched_setaffinity(0, {args.client_cpu})
    with stopping(mock):
        mock.launch(args.start_timeout)
        idle = rss_bytes(mock.pid)
        began = time.monotonic()

        def step(done: int) -> None:
            print(
                f"  {done} sessions: RSS {rss_bytes(mock.pid) / MIB:.1f} MiB "
                f"({time.monotonic() - began:.0f} s)",
                file=sys.stderr,
            )

        asyncio.run(grow.grow(mock.base, args.sessions, 32, args.sessions_shape, step))
        health = http_json(mock.base, "/__admin/health")
        rss = rss_bytes(mock.pid)
    return {
        "count": args.sessions,
        "shape": args.sessions_shape,
        "live_sessions_reported": health.get("sessions"),
        "rss_idle_bytes": idle,
        "rss_bytes": rss,
        "rss_mib": round(rss / MIB, 1),
        "bytes_per_session": round((rss - idle) / max(args.sessions, 1)),
        "seconds": round(time.monotonic() - began, 1),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    wrk = ensure_wrk()
    run_dir = Path(args.run_dir or tempfile.mkdtemp(prefix="dqe-bench-wrk-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    print(f"logs and wrk outputs in {run_dir}", file=sys.stderr)
    results: dict[str, Any] = {
        "tool": "benchmarks/bench_wrk.py",
        "when": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "git": git_revision(),
        "versions": versions(wrk),
        "machine": {
            "cpus": os.cpu_count(),
            "server_cpu": args.server_cpu,
            "client_cpu": args.client_cpu,
        },
        "settings": {
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "wrk": f"taskset -c {args.client_cpu} wrk -t1 -c{args.connections} "
            f"-d{args.duration}s --timeout 5s (flows: -t{args.connections})",
            "serve_args": args.serve_args,
            "starts": args.starts,
        },
    }
    results["speed_index_s"] = {"start": speed_index(args.server_cpu)}
    bare, mock = start_servers(args, run_dir)
    bench = Bench(args, wrk, run_dir, [bare, mock])
    with stopping(bare, mock):
        timed_starts(bare, args.starts, args.start_timeout)
        timed_starts(mock, args.starts, args.start_timeout)
        time.sleep(0.5)
        results["rss_idle_bytes"] = {"bare": rss_bytes(bare.pid), "dqe_mock": rss_bytes(mock.pid)}
        bare_start, mock_start = statistics.median(bare.starts), statistics.median(mock.starts)
        results["start"] = {
            "bare_s": round(bare_start, 3),
            "dqe_mock_s": round(mock_start, 3),
            "bare_all_s": [round(s, 3) for s in bare.starts],
            "dqe_mock_all_s": [round(s, 3) for s in mock.starts],
            "ratio": ratio(mock_start, bare_start),
        }
        rows: list[dict[str, Any]] = []
        for work in workloads(mock.base):
            if work.key == "access_token":  # flows before it: its tokens fill the store
                print("measuring whole consent flows", file=sys.stderr)
                flows = bench.measure(mock, None, "flows")
                small_get = next(r for r in rows if r["key"] == "poll_pending")["bare"]
                rows.append(
                    {
                        "key": "flows",
                        "label": "whole consent flows (token, formfilling, consent, /GET/)",
                        "method": "mixed",
                        "bare": None,
                        "dqe_mock": flows,
                        "ratio": ratio(flows["rps"], small_get["rps"]),
                        "cpu_ratio": ratio(flows["rps_per_cpu_s"], small_get["rps_per_cpu_s"]),
                        "ratio_note": "requests/s of the flows over bare's on the /GET/ request",
                    }
                )
            print(f"measuring {work.label}", file=sys.stderr)
            b = bench.measure(bare, work, work.key)
            m = bench.measure(mock, work, work.key)
            rows.append(
                {
                    "key": work.key,
                    "label": work.label,
                    "method": work.method,
                    "bare": b,
                    "dqe_mock": m,
                    "ratio": ratio(m["rps"], b["rps"]),
                    "cpu_ratio": ratio(m["rps_per_cpu_s"], b["rps_per_cpu_s"]),
                }
            )
        results["workloads"] = rows
        results["rss_after_load_bytes"] = {"dqe_mock": rss_bytes(mock.pid)}
    results["sessions"] = None
    if args.sessions:
        print(f"making {args.sessions} live sessions on a fresh dqe-mock", file=sys.stderr)
        try:
            results["sessions"] = sessions_rss(args, run_dir)
        except Exception as exc:  # the run's other figures are still worth printing
            bench.warnings.append(f"--sessions {args.sessions} failed: {exc!r}")
    results["speed_index_s"]["end"] = speed_index(args.server_cpu)
    results["warnings"] = bench.warnings
    results["targets"] = target_rows(results)
    results["missed"] = [t["name"] for t in results["targets"] if t["verdict"] == "missed"]
    results["not_cpu_bound"] = not_cpu_bound(results["workloads"])
    results["bad_answers"] = [
        f"{r['label']} on {side}: {r[side].get('non2xx', 0)} non-2xx, "
        f"{r[side].get('unexpected', 0)} unexpected, {socket_errors(r[side])} socket errors; "
        f"first: {r[side].get('sample', '-')}"
        for r in results["workloads"]
        for side in ("bare", "dqe_mock")
        if r[side] is not None
        and (r[side].get("non2xx") or r[side].get("unexpected") or socket_errors(r[side]))
    ]
    return results


def report(results: Mapping[str, Any]) -> str:
    """The markdown report of a run: measurements, start and memory, targets."""
    v, s = results["versions"], results["settings"]
    git = results["git"]
    out = [
        f"dqe-mock {v['dqe_mock']} ({git['revision'][:12]}{', dirty' if git['dirty'] else ''}), "
        f"Python {v['python']}, aiohttp {v['aiohttp']}, wrk {v['wrk']}; {s['wrk']}; "
        f"servers on CPU {results['machine']['server_cpu']}; dqe-mock serve options: "
        f"{' '.join(s['serve_args']) or '(defaults)'}",
        f"speed index (10M-iteration loop on the server's CPU): "
        f"{results['speed_index_s']['start']} s at start, {results['speed_index_s'].get('end')} s "
        "at end",
        "",
    ]
    header = [
        "workload",
        "bare req/s",
        "dqe-mock req/s",
        "ratio",
        "ratio per CPU-s",
        "p50 ms",
        "p99 ms",
        "non-2xx",
        "wrong",
        "srv cpu %",
        "others cpu0/cpu1 %",
        "wrk cpu %",
    ]
    rows = []
    for r in results["workloads"]:
        m, b = r["dqe_mock"], r["bare"]
        name = r["label"]
        rate = fmt_rate(m["rps"])
        if r["key"] == "flows":
            rate = f"{rate} ({m['flows_per_s']:.0f} flows/s)"
            name += " *"
        rows.append(
            [
                name,
                fmt_rate(b["rps"]) if b else "-",
                rate,
                fmt_ratio(r["ratio"]),
                fmt_ratio(r.get("cpu_ratio")),
                f"{m['p50_ms']:.2f}",
                f"{m['p99_ms']:.2f}",
                m["non2xx"],
                m["unexpected"],
                f"{m['srv_cpu_pct']:.0f}" + (f" (bare {b['srv_cpu_pct']:.0f})" if b else ""),
                f"{m['others_cpu0_pct']:.0f}/{m['others_cpu1_pct']:.0f}",
                f"{m['wrk_cpu_pct']:.0f}",
            ]
        )
    out.append(markdown(header, rows))
    out.append(
        "\nratio = dqe-mock / bare, measured back to back in this run (the targets judge it); "
        "ratio per CPU-s = the same over requests per second of each server's own CPU time, "
        "which a busy machine disturbs less; p50/p99, non-2xx and "
        "wrong (2xx answers that are not the expected one) are dqe-mock's; srv cpu = the "
        "server's process, % of one core (~100: CPU-bound on its core); others = every other "
        "process on each core. * flows: requests/s of whole flows, ratio over bare's "
        "requests/s on the /GET/ request."
    )
    st = results["start"]
    idle = results["rss_idle_bytes"]
    mem = [
        [
            "start to first answer s (median)",
            f"{st['bare_s']:.3f}",
            f"{st['dqe_mock_s']:.3f}",
            fmt_ratio(st["ratio"]),
        ],
        [
            "RSS idle after start MiB",
            f"{idle['bare'] / MIB:.1f}",
            f"{idle['dqe_mock'] / MIB:.1f}",
            fmt_ratio(ratio(idle["dqe_mock"], idle["bare"])),
        ],
        [
            "RSS after the load MiB",
            "-",
            f"{results['rss_after_load_bytes']['dqe_mock'] / MIB:.1f}",
            "-",
        ],
    ]
    sessions = results.get("sessions")
    if sessions:
        mem.append(
            [
                f"RSS with {sessions['count']:,} live sessions MiB",
                "-",
                f"{sessions['rss_mib']:.1f}",
                "-",
            ]
        )
    out += ["", markdown(["", "bare", "dqe-mock", "ratio"], mem)]
    trows = [[t["name"], fmt_measured(t), t["verdict"]] for t in results["targets"]]
    out += ["", markdown(["target (issue 14)", "measured", "verdict"], trows)]
    missed = results["missed"]
    out.append("")
    out.append("MISSED: " + "; ".join(missed) if missed else "Every measured target is met.")
    for line in results["bad_answers"]:
        out.append("WRONG ANSWERS: " + line)
    if results["not_cpu_bound"]:
        out.append(
            "NOT CPU-BOUND (under 90 % of its core, so wrk or neighbours set the pace and the "
            "ratio is not the servers' own): " + "; ".join(results["not_cpu_bound"])
        )
    measured = [r[side] for r in results["workloads"] for side in ("bare", "dqe_mock") if r[side]]
    busy = [m for m in measured if not m["quiet_before"]["quiet"]]
    if busy:
        out.append(
            f"BUSY MACHINE: {len(busy)} of {len(measured)} measurements started while other "
            "processes used the cores (others cpu0/cpu1 above): absolute figures are depressed "
            "and ratios noisier; run again on a quiet machine before quoting them."
        )
    for line in results["warnings"]:
        out.append("warning: " + line)
    return "\n".join(out)


def common_parser(doc: str) -> argparse.ArgumentParser:
    """The options every wrk benchmark here takes (bench_wrk.py, bench_state.py): durations,
    connections, the cores, the quiet-machine check, --json, --run-dir and `-- serve options`."""
    parser = argparse.ArgumentParser(
        description=doc.splitlines()[0],
        usage="%(prog)s [options] [-- dqe-mock serve options]",
        epilog="Everything after -- is passed to `dqe-mock serve`, e.g. -- --log-level WARNING.",
    )
    parser.add_argument("--duration", type=int, default=8, help="s measured a workload (8)")
    parser.add_argument("--warmup", type=int, default=2, help="s of warm-up before each (2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--server-cpu", type=int, default=0, help="core of the servers (0)")
    parser.add_argument("--client-cpu", type=int, default=1, help="core of wrk (1)")
    parser.add_argument("--start-timeout", type=float, default=30, help="s to first 200 (30)")
    parser.add_argument(
        "--quiet-pct",
        type=float,
        default=10,
        help="other processes' CPU %% of a core counted as quiet (10)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=20,
        help="s waited at most for a quiet machine per measurement (20)",
    )
    parser.add_argument(
        "--quiet-budget",
        type=float,
        default=60,
        help="s waited at most for a quiet machine in the whole run (60)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write every figure here")
    parser.add_argument("--run-dir", help="where logs and wrk outputs go (a new temp dir)")
    parser.add_argument("serve_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def parse_common(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse, drop the `--` before serve's options, and refuse what no run can do."""
    args = parser.parse_args(argv)
    if args.serve_args[:1] == ["--"]:
        args.serve_args = args.serve_args[1:]
    if args.server_cpu == args.client_cpu:
        parser.error("--server-cpu and --client-cpu must differ")
    if args.duration <= 0 or args.warmup < 0 or args.connections < 1:
        parser.error("--duration and --connections must be positive")
    return args


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = common_parser(__doc__ or "")
    parser.add_argument("--starts", type=int, default=3, help="starts timed per server (3)")
    parser.add_argument(
        "--sessions",
        type=int,
        default=0,
        metavar="N",
        help="also RSS of a fresh dqe-mock with N live sessions (100000: "
        "5 to 9 minutes); 0: skipped (default)",
    )
    parser.add_argument(
        "--sessions-shape", default="mixed", choices=("formfilling", "matching", "mixed")
    )
    args = parse_common(parser, argv)
    if args.starts < 1:
        parser.error("--starts must be positive")
    return args


def run_and_report(
    args: argparse.Namespace,
    measure: Callable[[argparse.Namespace], dict[str, Any]],
    render: Callable[[dict[str, Any]], str],
) -> int:
    """Run a benchmark, print its report, write --json; the exit status: 1 when it could not
    run, 2 when an answer was wrong, else 0 (bench_wrk.py, bench_state.py)."""
    try:
        results = measure(args)
    except (RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
        print(f"\nfigures written to {args.json}")
    return 2 if results["bad_answers"] else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(HERE))
    return run_and_report(args, run, report)


if __name__ == "__main__":
    sys.exit(main())

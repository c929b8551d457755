"""`dqe-mock serve --workers N` as processes (mockserver/http/workers.py): refused on the memory
store; with Redis, one banner, N workers answering on one port, a stop that leaves none, a
worker that dies stops them all (exit 1), one that fails to start stops them all (exit 2).

Only process behaviour is checked here: which pid answers /__admin/health, exit statuses,
lines printed. The expected texts are the ones written in the CLI's and the module's
documentation (docs/limits.md "Several workers"), typed here by hand.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import selectors
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from mockserver import cli
from mockserver.http.workers import worker_command
from tests.served import ROOT, START_WITHIN

BANNER = re.compile(r"^dqe-mock \S+ listening on http://127\.0\.0\.1:([0-9]+) \(2 workers\)$")
STOP_WITHIN = 30.0  # seconds: the workers' --shutdown-timeout (2 here) + margin, on a busy box
ATTEMPTS = 200  # fresh connections tried before concluding a worker never answers


@dataclass
class Parent:
    process: subprocess.Popen[str]
    stderr: Path
    port: int = 0

    def err(self) -> str:
        return self.stderr.read_text()


def serve(tmp_path: Path, *options: str) -> subprocess.Popen[str]:
    err = (tmp_path / "stderr").open("w")
    with err:
        return subprocess.Popen(
            [sys.executable, "-m", "mockserver", "serve", "--host", "127.0.0.1",
             "--shutdown-timeout", "2", "--no-watch", *options],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL, text=True,
        )  # fmt: skip


def finished(process: subprocess.Popen[str]) -> str:
    """Its stdout once it exited; killed (its workers then get SIGTERM, PDEATHSIG) and a
    failure when it is still running after START_WITHIN seconds."""
    try:
        out, _ = process.communicate(timeout=START_WITHIN)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate(timeout=STOP_WITHIN)
        raise AssertionError(f"still running after {START_WITHIN} s: killed") from None
    return out


def first_line(process: subprocess.Popen[str], within: float = START_WITHIN) -> str:
    """The process's first stdout line, or "" when it closed stdout (exited) first."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        assert selector.select(timeout=within), f"nothing printed within {within} s"
    return process.stdout.readline()


@contextmanager
def two_workers(tmp_path: Path, redis_url: str, *options: str) -> Iterator[Parent]:
    """`serve --workers 2 --state REDIS --port 0`, started and announced; killed at the end
    if a test left it running (its workers then get SIGTERM from the kernel, PDEATHSIG)."""
    process = serve(tmp_path, "--port", "0", "--workers", "2", "--state", redis_url, *options)
    parent = Parent(process, tmp_path / "stderr")
    try:
        line = first_line(process).rstrip("\n")
        found = BANNER.match(line)
        assert found, f"unexpected first line {line!r}:\n{parent.err()}"
        parent.port = int(found.group(1))
        yield parent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_WITHIN)
        if process.stdout is not None:
            process.stdout.close()


def health(port: int) -> dict[str, object]:
    """GET /__admin/health over a new connection (so the kernel may pick another worker)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", "/__admin/health", headers={"Connection": "close"})
        reply = conn.getresponse()
        assert reply.status == 200
        body: dict[str, object] = json.loads(reply.read())
        return body
    finally:
        conn.close()


def answering(port: int, want: int = 2) -> dict[int, int]:
    """worker index -> pid, from fresh connections until `want` workers answered (bounded)."""
    seen: dict[int, int] = {}
    for _ in range(ATTEMPTS):
        process = health(port)["process"]
        assert isinstance(process, dict)
        seen[process["worker"]] = process["pid"]
        if len(seen) == want:
            return seen
    raise AssertionError(f"after {ATTEMPTS} connections only workers {seen} answered")


def parent_of(pid: int) -> int:
    """The parent pid of a live process, from /proc/PID/stat (field 4)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def ends_within(pid: int, seconds: float) -> bool:
    """Whether process `pid` (not necessarily our child) has exited, or exits within `seconds`
    (a pidfd becomes readable when its process exits)."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([pidfd], [], [], seconds)
        return bool(readable)
    finally:
        os.close(pidfd)


def processes_naming(marker: str) -> list[int]:
    """Live pids whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # exited meanwhile
        if marker.encode() in cmdline:
            found.append(int(entry.name))
    return found


# -- the workers' command line ---------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [
        ["--workers", "2", "--port", "0", "--state", "redis://127.0.0.1:1/0"],
        ["--workers=2", "--port=0", "--state=redis://127.0.0.1:1/0", "--scenarios", "a", "b"],
        ["--state", "redis://127.0.0.1:1/0", "--worker-index", "9", "--workers", "4"],
    ],
)
def test_a_worker_runs_the_parents_options_with_its_port_one_worker_and_its_index(
    given: list[str],
) -> None:
    argv = worker_command(given, 41234, 2)
    assert argv[:4] == [sys.executable, "-m", "mockserver", "serve"]
    args = cli._parser(serve_only=True).parse_args(argv[3:])
    settings = cli._settings(args)
    assert (settings.port, settings.workers, settings.worker) == (41234, 1, 2)
    assert settings.state == "redis://127.0.0.1:1/0"
    if "a" in given:
        assert settings.scenario_paths == (Path("a"), Path("b"))


# -- refused without Redis ------------------------------------------------------------------


@pytest.mark.parametrize("state", [[], ["--state", "memory"]], ids=["default", "memory"])
def test_several_workers_on_the_memory_store_are_refused(tmp_path: Path, state: list[str]) -> None:
    process = serve(tmp_path, "--port", "0", "--workers", "2", *state)
    out = finished(process)
    assert process.returncode == 2
    assert out == ""  # no banner: nothing listened
    lines = (tmp_path / "stderr").read_text().splitlines()
    assert len(lines) == 1, lines
    for said in (
        "--workers 2",
        "each worker is a separate process with its own memory",
        "a token issued by one would be unknown to another",
        "--state redis://host:port/db",
    ):
        assert said in lines[0]


# -- with Redis -----------------------------------------------------------------------------


def test_two_workers_answer_on_one_port_and_stop_together(tmp_path: Path, redis_url: str) -> None:
    with two_workers(tmp_path, redis_url) as parent:
        pids = answering(parent.port)
        assert sorted(pids) == [1, 2]
        assert len(set(pids.values())) == 2
        for pid in pids.values():
            assert parent_of(pid) == parent.process.pid
        parent.process.send_signal(signal.SIGTERM)
        assert parent.process.wait(timeout=STOP_WITHIN) == 0, parent.err()
        assert parent.process.stdout is not None
        rest = parent.process.stdout.read()
        assert "listening on" not in rest  # the banner was printed once, by the parent
        assert all(gone(pid) for pid in pids.values())
        assert "Traceback" not in parent.err()


def test_sigint_stops_them_all_too(tmp_path: Path, redis_url: str) -> None:
    with two_workers(tmp_path, redis_url) as parent:
        pids = answering(parent.port)
        parent.process.send_signal(signal.SIGINT)
        assert parent.process.wait(timeout=STOP_WITHIN) == 0, parent.err()
        assert all(gone(pid) for pid in pids.values())


def test_a_port_a_running_group_serves_is_refused_to_another(
    tmp_path: Path, redis_url: str
) -> None:
    # Its workers' sockets set SO_REUSEPORT: the second group must not join them.
    with two_workers(tmp_path, redis_url) as first:
        second_dir = tmp_path / "second"
        second_dir.mkdir()
        port = str(first.port)
        process = serve(second_dir, "--port", port, "--workers", "2", "--state", redis_url)
        out = finished(process)
        err = (second_dir / "stderr").read_text()
        assert process.returncode == 2, err
        assert out == ""
        assert err.splitlines() == [
            f"dqe-mock: cannot listen on 127.0.0.1:{port}: Address already in use"
        ]


def test_a_worker_that_dies_stops_the_others_and_the_parent_exits_1(
    tmp_path: Path, redis_url: str
) -> None:
    with two_workers(tmp_path, redis_url) as parent:
        pids = answering(parent.port)
        os.kill(pids[1], signal.SIGKILL)
        assert parent.process.wait(timeout=STOP_WITHIN) == 1, parent.err()
        assert f"worker 1 of 2 (pid {pids[1]}) ended unexpectedly (signal SIGKILL)" in parent.err()
        assert "not restarted" in parent.err()
        assert gone(pids[2])


def test_workers_of_a_parent_killed_with_sigkill_stop_too(tmp_path: Path, redis_url: str) -> None:
    # The parent cannot pass SIGKILL on; the kernel sends its workers SIGTERM (PDEATHSIG).
    with two_workers(tmp_path, redis_url) as parent:
        pids = answering(parent.port)
        parent.process.kill()
        parent.process.wait(timeout=STOP_WITHIN)
        assert all(ends_within(pid, STOP_WITHIN) for pid in pids.values())


@pytest.mark.parametrize("why", ["scenario file", "store"])
def test_a_worker_that_fails_to_start_stops_the_others_and_the_parent_exits_2(
    tmp_path: Path, redis_url: str, why: str
) -> None:
    if why == "scenario file":
        broken = tmp_path / "broken-scenarios-marker.yaml"
        broken.write_text("scenarios: [\n")  # YAML that does not parse
        options = ["--state", redis_url, "--scenarios", str(broken)]
        marker, said = broken.name, "cannot load scenarios"
    else:
        with socket.socket() as nothing_there:  # a loopback port nothing listens on
            nothing_there.bind(("127.0.0.1", 0))
            unreachable = f"redis://127.0.0.1:{nothing_there.getsockname()[1]}/0"
        options = ["--state", unreachable]
        marker, said = unreachable, f"cannot start: the mock's state store {unreachable}"
    process = serve(tmp_path, "--port", "0", "--workers", "2", *options)
    out = finished(process)
    err = (tmp_path / "stderr").read_text()
    assert process.returncode == 2, err
    assert "listening on" not in out
    assert said in err  # the worker's own line
    assert re.search(r"worker [12] of 2 failed to start \(exit status 2\)", err), err
    assert processes_naming(marker) == []  # no worker left behind


def test_a_port_in_use_is_refused_before_any_worker_starts(tmp_path: Path, redis_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = serve(tmp_path, "--port", str(port), "--workers", "2", "--state", redis_url)
        out = finished(process)
    err = (tmp_path / "stderr").read_text()
    assert process.returncode == 2
    assert out == ""
    assert err.splitlines() == [
        f"dqe-mock: cannot listen on 127.0.0.1:{port}: Address already in use"
    ]

"""`dqe-mock serve --workers N`: N processes serving one port (SO_REUSEPORT), under one parent.

The parent serves nothing itself: it starts the workers, tells the user once that they
listen, passes stop signals on, and watches them. Each worker is the ordinary server
(`dqe-mock serve` with the same options, `--workers 1` and the hidden `--worker-index I`),
which binds with SO_REUSEPORT; the kernel spreads new connections among them. Workers share
nothing in memory, so N > 1 requires a Redis `--state` (mockserver/cli.py refuses
`memory` before this module runs).

Decisions:

- The port. The parent binds host:port itself first, without SO_REUSEPORT, then sets
  SO_REUSEPORT on that socket and holds it (bound, never listening) until every worker
  listens; then closes it. Binding without the option first refuses a port that anything
  listens on, another `serve --workers` included (whose sockets would otherwise accept ours
  and split the traffic with it); setting it afterwards lets the workers join. With
  `--port 0` the kernel picks the port at that bind and the workers bind the same one. While
  the parent holds it, no program can take the port between the pick and the workers' binds
  (picking a free port, closing it and hoping would leave that window); only a program of the
  same user that sets SO_REUSEPORT could join, which no server does by mistake. A socket that
  does not listen is given no connections, so the parent takes no share of the traffic. A
  port in use fails there, in the parent, with the single server's line
  (`dqe-mock: cannot listen on HOST:PORT: ...`), exit 2, before any worker starts.
- Start. Workers start together, each in its own session (a Ctrl-C at the terminal reaches
  the parent alone, which passes it on) and, on Linux, with PR_SET_PDEATHSIG so that a parent
  killed with SIGKILL does not leave them serving. Their stderr is the parent's (their logs,
  their errors); their stdout is read by the parent for their banner lines. Once every worker
  printed its banner, the parent prints one:
  `dqe-mock VERSION listening on http://HOST:PORT (N workers)`. A worker that exits before its
  banner (a scenario file that does not load, a store it cannot reach) has printed why on
  stderr; the parent then stops the others, adds a line naming the worker, and exits 2.
- Stop. SIGTERM or SIGINT to the parent is sent to every worker (each stops as a single server
  does, http/lifecycle.py); the parent waits for them up to `--shutdown-timeout` plus
  STOP_MARGIN seconds, kills any still running then (saying so, exit 1), and exits 0.
- A worker that dies while serving (a crash, the OOM killer, a `kill -9`): the parent stops the
  others and exits 1, with a line naming the worker, its pid and how it ended. It is not
  restarted (gunicorn's way). dqe-mock is a test tool: a worker dying is a bug that a test run
  or a load test must see, and restarting it would hide it from a CI job's exit status while
  the run goes on with a server that lost requests in flight. What started dqe-mock (systemd,
  Docker's restart policy, Kubernetes) restarts the whole server, which, with the state in
  Redis, loses nothing but the requests in flight.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from mockserver.http.lifecycle import STOP_SIGNALS, listening_banner
from mockserver.settings import Settings

# Seconds the parent waits for its workers past their own --shutdown-timeout, for their
# in-flight cut-off (connection.CANCEL_GRACE) and their exit.
STOP_MARGIN = 5.0
# Seconds between two looks at the workers when no signal woke the parent (a safety net: a
# SIGCHLD or a banner line wakes it at once).
IDLE_LOOK = 1.0
PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass
class Worker:
    """One child process: its index (1 to N) and what it printed on stdout so far."""

    index: int
    process: subprocess.Popen[bytes]
    output: bytes = b""
    listening: bool = field(default=False)

    def ended(self) -> str:
        """How the exited process ended, for a message: 'exit status 2', 'signal SIGKILL'."""
        code = self.process.returncode
        if code is not None and code < 0:
            try:
                return f"signal {signal.Signals(-code).name}"
            except ValueError:
                return f"signal {-code}"
        return f"exit status {code}"


def reserve_port(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, not listening, with SO_REUSEPORT set after the bind (see
    the module's docstring); port 0 picks a free one. OSError when host:port cannot be bound
    (in use, also by SO_REUSEPORT sockets; an address not of this host)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio's servers do
        sock.bind(address)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    except OSError:
        sock.close()
        raise
    return sock


def worker_command(serve_args: Sequence[str], port: int, index: int) -> list[str]:
    """The argv of worker `index`: `serve` with the parent's own options (`serve_args`, as
    given after `serve`), then the port the parent reserved, `--workers 1` and its index.
    argparse keeps the last value of an option, so these override the parent's."""
    return [
        sys.executable, "-m", "mockserver", "serve", *serve_args,
        "--port", str(port), "--workers", "1", "--worker-index", str(index),
    ]  # fmt: skip


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn asking Linux to send SIGTERM to the child when the parent dies; None
    elsewhere (or when libc cannot be loaded)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


def run_workers(settings: Settings, serve_args: Sequence[str]) -> int:
    """Run `settings.workers` workers on one port until stopped; the parent's exit status.

    `serve_args`: the command line after `serve`, passed on to every worker. 0 after a stop
    signal; 1 when a worker died while serving (the others are stopped) or had to be killed
    at stop; 2, with a line on stderr, when host:port cannot be bound or a worker failed to
    start (the others are stopped).
    """
    if not hasattr(socket, "SO_REUSEPORT"):
        print("dqe-mock: --workers needs SO_REUSEPORT, which this system lacks", file=sys.stderr)
        return 2
    try:
        reservation = reserve_port(settings.host, settings.port)
    except OSError as exc:
        reason = exc.strerror or exc
        print(
            f"dqe-mock: cannot listen on {settings.host}:{settings.port}: {reason}",
            file=sys.stderr,
        )
        return 2
    port: int = reservation.getsockname()[1]
    wake_read, wake_write = os.pipe()
    for fd in (wake_read, wake_write):
        os.set_blocking(fd, False)
    previous = {sig: signal.getsignal(sig) for sig in (*STOP_SIGNALS, signal.SIGCHLD)}
    previous_wakeup = signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    # Handlers that do nothing: the wakeup fd carries each signal's number to the loop.
    for sig in previous:
        signal.signal(sig, lambda signum, frame: None)
    try:
        workers = _start(settings, serve_args, port)
        return _supervise(settings, workers, port, reservation, wake_read)
    finally:
        reservation.close()
        signal.set_wakeup_fd(previous_wakeup)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(wake_read)
        os.close(wake_write)


def _start(settings: Settings, serve_args: Sequence[str], port: int) -> list[Worker]:
    preexec = _die_with_parent()
    workers = []
    for index in range(1, settings.workers + 1):
        process = subprocess.Popen(
            worker_command(serve_args, port, index),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=preexec,  # fork-safe here: the parent runs no threads
        )
        workers.append(Worker(index, process))
    return workers


def _supervise(
    settings: Settings,
    workers: list[Worker],
    port: int,
    reservation: socket.socket,
    wake_read: int,
) -> int:
    """Wait for the banners, announce, then watch until a stop signal or a worker's death."""
    count = len(workers)
    announced = False
    with selectors.DefaultSelector() as selector:
        selector.register(wake_read, selectors.EVENT_READ, None)
        for worker in workers:
            assert worker.process.stdout is not None
            selector.register(worker.process.stdout, selectors.EVENT_READ, worker)
        while True:
            stop_asked = False
            for key, _ in selector.select(timeout=IDLE_LOOK):
                if key.data is None:
                    with contextlib.suppress(BlockingIOError):
                        signums = os.read(wake_read, 512)
                        stop_asked |= any(s in signums for s in STOP_SIGNALS)
                    continue
                worker = key.data
                chunk = os.read(key.fd, 4096)
                worker.output += chunk
                if not chunk or b"\n" in worker.output:
                    selector.unregister(key.fileobj)  # the banner (or EOF): nothing more to read
                    worker.listening = b" listening on " in worker.output
            if stop_asked:
                return _stop(settings, workers)
            dead = next((w for w in workers if w.process.poll() is not None), None)
            if dead is not None:
                if not announced:
                    print(
                        f"dqe-mock: worker {dead.index} of {count} failed to start "
                        f"({dead.ended()}); stopping the others",
                        file=sys.stderr,
                        flush=True,
                    )
                    _stop(settings, workers)
                    return 2
                print(
                    f"dqe-mock: worker {dead.index} of {count} (pid {dead.process.pid}) ended "
                    f"unexpectedly ({dead.ended()}); stopping the others (workers are not "
                    "restarted)",
                    file=sys.stderr,
                    flush=True,
                )
                _stop(settings, workers)
                return 1
            if not announced and all(w.listening for w in workers):
                reservation.close()  # every worker listens: the port is theirs
                banner = listening_banner(settings.host, port)
                print(f"{banner} ({count} workers)", flush=True)
                announced = True


def _stop(settings: Settings, workers: list[Worker]) -> int:
    """SIGTERM to every worker still running; wait up to shutdown_timeout + STOP_MARGIN s,
    then SIGKILL. 0, or 1 (with a line on stderr) when some had to be killed."""
    for worker in workers:
        if worker.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                worker.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + settings.shutdown_timeout + STOP_MARGIN
    killed = []
    for worker in workers:
        try:
            worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()
            killed.append(worker)
        if worker.process.stdout is not None:
            worker.process.stdout.close()
    if killed:
        names = ", ".join(f"{w.index} (pid {w.process.pid})" for w in killed)
        print(
            f"dqe-mock: worker(s) {names} still running "
            f"{settings.shutdown_timeout + STOP_MARGIN:g} s after SIGTERM: killed",
            file=sys.stderr,
            flush=True,
        )
        return 1
    return 0

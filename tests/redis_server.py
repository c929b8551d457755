"""A real `redis-server` for the tests: 127.0.0.1, a free port, its own directory.

The Debian package (`bash scripts/test` installs it) puts the binary on PATH; a daemon the
package may have started on 6379 is never used. The server saves an RDB file in its directory
on a clean stop (`--save 3600 1`, SHUTDOWN SAVE), so a start on the same directory and port
gets the data back; kill() loses what was not saved.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

START_WITHIN = 10.0  # seconds from spawn to +PONG
STOP_WITHIN = 10.0  # seconds from SHUTDOWN SAVE (or SIGKILL) to the process's exit
PORT_ATTEMPTS = 3  # a port picked free may be taken before redis-server binds it


class RedisServerMissing(RuntimeError):
    """redis-server is not on PATH."""


def free_port() -> int:
    """A loopback TCP port nothing listened on a moment ago (the caller binds it soon)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def command(port: int, *words: str, timeout: float = 2.0) -> bytes:
    """Send one command (RESP array of bulk strings) to 127.0.0.1:port; its first reply line.

    b"" when the server closed the connection without answering (SHUTDOWN does so);
    OSError when it cannot be reached.
    """
    payload = f"*{len(words)}\r\n".encode() + b"".join(
        f"${len(w.encode())}\r\n".encode() + w.encode() + b"\r\n" for w in words
    )
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(payload)
        reply = b""
        while not reply.endswith(b"\r\n"):
            chunk = conn.recv(4096)
            if not chunk:
                break
            reply += chunk
        return reply.split(b"\r\n", 1)[0]


class RedisServer:
    """One redis-server process; start() it, then stop() (saving) or kill() (not saving).

    `directory` holds its RDB file and log (redis.log, quoted when it fails to start).
    The port is picked at the first start() and kept, so a later start() on the same
    directory serves the saved data at the same url.
    """

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RedisServerMissing(
                "redis-server is not installed: `bash scripts/test` installs it (Debian package "
                "redis-server), or `apt-get install redis-server`"
            )
        self.binary = binary
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log = directory / "redis.log"
        self._port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        """The TCP port (fixed by the first start())."""
        if self._port is None:
            raise RuntimeError("RedisServer.port: not started yet")
        return self._port

    @property
    def url(self) -> str:
        """redis://127.0.0.1:PORT/0"""
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        """The process is alive (it may not answer yet)."""
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Spawn redis-server and return once it answers PING; RuntimeError (quoting its
        log) when it exits or does not answer within START_WITHIN seconds."""
        if self.running:
            return
        if self._port is not None:
            self._spawn(self._port)
            return
        for attempt in range(PORT_ATTEMPTS):
            port = free_port()
            try:
                self._spawn(port)
            except RuntimeError:
                if attempt == PORT_ATTEMPTS - 1 or "in use" not in self._log_text():
                    raise
                continue
            self._port = port
            return

    def _spawn(self, port: int) -> None:
        self.log.write_text("")
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port", str(port),
                "--bind", "127.0.0.1",
                "--protected-mode", "yes",
                "--dir", str(self.directory),
                "--dbfilename", "dump.rdb",
                "--save", "3600 1",
                "--appendonly", "no",
                "--daemonize", "no",
                "--logfile", str(self.log),
            ],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + START_WITHIN
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"redis-server exited ({self.process.returncode}) on port {port}:\n"
                    f"{self._log_text()}"
                )
            try:
                if command(port, "PING", timeout=0.5) == b"+PONG":
                    return
            except OSError:
                pass  # not listening yet
            # Between two attempts, wait for the process to exit or a short while.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=0.02)
        self.kill()
        raise RuntimeError(f"redis-server did not answer PING within {START_WITHIN} s:\n"
                           f"{self._log_text()}")  # fmt: skip

    def stop(self) -> None:
        """SHUTDOWN SAVE (writes dump.rdb), then wait for the process to exit."""
        if not self.running:
            return
        assert self.process is not None
        try:
            command(self.port, "SHUTDOWN", "SAVE")
        except OSError:
            self.process.send_signal(signal.SIGTERM)  # redis saves on SIGTERM too
        self._reap()

    def kill(self) -> None:
        """SIGKILL: no save; whatever was written since the last save is lost."""
        if not self.running:
            return
        assert self.process is not None
        self.process.kill()
        self._reap()

    def _reap(self) -> None:
        assert self.process is not None
        try:
            self.process.wait(timeout=STOP_WITHIN)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_WITHIN)
            raise RuntimeError(f"redis-server did not stop within {STOP_WITHIN} s") from None

    def _log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

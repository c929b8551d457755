"""The real CLI server in a subprocess, for the tests that need one outside pytest's process."""

from __future__ import annotations

import re
import selectors
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LISTENING = re.compile(r"listening on (http://127\.0\.0\.1:[0-9]+)")
START_WITHIN = 60.0


@contextmanager
def serve_cli(log: Path, *options: str) -> Iterator[str]:
    """`python -m mockserver serve --port 0 OPTIONS`: yields its url, read from its first line.

    The port is the one the server bound (port 0), so no other program can take it between a
    check and the bind. stderr goes to `log`, which a failure quotes.
    """
    with log.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "serve", "--host", "127.0.0.1", "--port", "0",
             *options],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True,
        )  # fmt: skip
        try:
            assert process.stdout is not None
            with selectors.DefaultSelector() as selector:
                selector.register(process.stdout, selectors.EVENT_READ)
                if not selector.select(timeout=START_WITHIN):
                    raise AssertionError(f"dqe-mock serve printed nothing:\n{log.read_text()}")
            line = process.stdout.readline()
            found = LISTENING.search(line)
            assert found, f"unexpected first line {line!r}:\n{log.read_text()}"
            yield found.group(1)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()

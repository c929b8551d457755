"""Start a server process and read its base URL from its own first line of output.

Shared by soak.py and sessions_rss.py (bench_wrk.py picks its ports itself, to time the
start from launch to the first answer).
"""

from __future__ import annotations

import subprocess


def start(argv: list[str]) -> tuple[subprocess.Popen[str], str]:
    """Run `argv` (a server that prints `... listening on http://HOST:PORT` first) and
    return the process and its base URL. Raises RuntimeError when the first line is not it."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    return proc, line.strip().rsplit(" ", 1)[-1]

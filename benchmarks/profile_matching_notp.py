#!/usr/bin/env python3
"""Where dqe-mock spends its time on /IDMOBILE/ matching_notp: py-spy under wrk load.

    .venv/bin/python benchmarks/profile_matching_notp.py                    # GET, 10 s
    .venv/bin/python benchmarks/profile_matching_notp.py --method POST --top 30
    .venv/bin/python benchmarks/profile_matching_notp.py --svg docs/matching_notp.svg \\
        -- --log-level WARNING                                               # serve options

`dqe-mock serve` runs pinned to --server-cpu (0) on 127.0.0.1, wrk pinned to --client-cpu (1)
sends bench_wrk.py's matching_notp request (the 12 documented user_infos keys) over 32
connections, and py-spy (from PyPI, installed into this virtualenv when missing; it runs as
root here, which it needs to read another process) samples the server at --rate Hz for
--duration s, by function (`--function`: each frame is a function and the line it starts on).
Prints two markdown tables: the top self costs (samples whose innermost frame is the
function) and the top inclusive costs (samples with the function anywhere on the stack), in
percent of all samples. With --svg, a second window of the same length records a flamegraph.
Idle samples (the event loop waiting) are left out, as py-spy does by default.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_wrk  # noqa: E402

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


@dataclass(frozen=True)
class Cost:
    """One function's share of the samples: percent and count, self or inclusive."""

    function: str
    where: str  # file:line, the file shortened to what follows site-packages/ or the repo
    samples: int
    percent: float


def shorten(path: str) -> str:
    """'/x/.venv/lib/python3.11/site-packages/aiohttp/web.py' -> 'aiohttp/web.py'; a file
    of this repository relative to it; others unchanged."""
    for marker in ("site-packages/", "dist-packages/"):
        if marker in path:
            return path.split(marker, 1)[1]
    root = str(HERE.parent) + "/"
    return path[len(root) :] if path.startswith(root) else path


def frame_key(frame: str) -> tuple[str, str]:
    """(function, file:line) of a py-spy frame 'function (file:line)'."""
    found = FRAME.match(frame.strip())
    if not found:
        return frame.strip(), "?"
    where = shorten(found["file"])
    return found["function"], f"{where}:{found['line']}" if found["line"] else where


# Frames on nearly every sample, which say nothing about the request path: start-up and the
# event loop's own turn. Left out of the inclusive table (never out of the self table).
PLUMBING_FILES = (
    "<frozen runpy>",
    "asyncio/runners.py",
    "asyncio/base_events.py",
    "asyncio/events.py",
    "mockserver/__main__.py",
)
PLUMBING_FUNCTIONS = {
    ("main", "mockserver/cli.py"),
    ("serve", "mockserver/cli.py"),
    ("run", "mockserver/http/lifecycle.py"),
}


def plumbing(key: tuple[str, str]) -> bool:
    """Whether a (function, file:line) frame is start-up or event-loop plumbing."""
    function, where = key
    path = where.rsplit(":", 1)[0]
    return path.endswith(PLUMBING_FILES) or (function, path) in PLUMBING_FUNCTIONS


def costs(collapsed: Iterable[str], top: int) -> tuple[list[Cost], list[Cost], int]:
    """(self, inclusive, total samples) of py-spy's raw (collapsed) output: lines of
    'frame;frame;...;innermost COUNT', outermost frame first. A function on a stack twice
    (recursion) counts once for that stack's inclusive cost; plumbing frames are left out of
    the inclusive list. Each list holds the `top` largest, largest first (ties by name)."""
    own: Counter[tuple[str, str]] = Counter()
    anywhere: Counter[tuple[str, str]] = Counter()
    total = 0
    for line in collapsed:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [frame_key(f) for f in stack.split(";") if f]
        if not frames:
            continue
        total += n
        own[frames[-1]] += n
        for key in set(frames):
            if not plumbing(key):
                anywhere[key] += n

    def ranked(counter: Counter[tuple[str, str]]) -> list[Cost]:
        order = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        return [Cost(f, w, n, 100 * n / total) for (f, w), n in order]

    return (ranked(own), ranked(anywhere), total) if total else ([], [], 0)


def table(title: str, rows: Sequence[Cost]) -> str:
    body = [[f"{c.percent:.1f}", c.samples, f"`{c.function}`", c.where] for c in rows]
    return f"{title}\n\n" + bench_wrk.markdown(
        ["% samples", "samples", "function", "file:line"], body
    )


def ensure_py_spy() -> str:
    """py-spy next to this interpreter, installed from PyPI into this virtualenv when missing."""
    local = Path(sys.executable).parent / "py-spy"
    if local.exists():
        return str(local)
    found = shutil.which("py-spy")
    if found:
        return found
    print("py-spy is missing: pip install py-spy (into this virtualenv)", file=sys.stderr)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "py-spy"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0 or not local.exists():
        sys.exit(f"py-spy could not be installed: {(done.stderr or done.stdout).strip()[-400:]}")
    return str(local)


def record(py_spy: str, pid: int, seconds: int, rate: int, fmt: str, out: Path, cpu: int) -> None:
    argv = [
        "taskset",
        "-c",
        str(cpu),
        py_spy,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(seconds),
        "--rate",
        str(rate),
        "--function",
        "--nonblocking",
        "--format",
        fmt,
        "--output",
        str(out),
    ]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"py-spy failed: {(done.stderr or done.stdout).strip()[-600:]}")


def profile(args: argparse.Namespace, run_dir: Path) -> tuple[Path, Path | None]:
    """Start dqe-mock, load it with wrk, record; the raw profile and the SVG (or None)."""
    py_spy = ensure_py_spy()
    wrk = bench_wrk.ensure_wrk()
    bench_args = bench_wrk.parse_args(
        [
            "--server-cpu",
            str(args.server_cpu),
            "--client-cpu",
            str(args.client_cpu),
            "--",
            *args.serve_args,
        ]
    )
    _, mock = bench_wrk.start_servers(bench_args, run_dir)
    with bench_wrk.stopping(mock):
        mock.launch(30)
        query = urllib.parse.urlencode(bench_wrk.matching_form(bench_wrk.new_token(mock.base)))
        env = {
            "BENCH_METHOD": args.method,
            "BENCH_EXPECT": r'"family_name":%s*[%d.]+',
            "BENCH_REJECT": '"error_id"',
        }
        url = f"{mock.base}/IDMOBILE/"
        if args.method == "POST":
            (run_dir / "body").write_text(query)
            env["BENCH_BODY_FILE"] = str(run_dir / "body")
        else:
            url += "?" + query
        windows = [("raw", run_dir / "profile.txt")]
        if args.svg:
            windows.append(("flamegraph", args.svg))
        for fmt, out in windows:
            load_for = args.duration + 3  # wrk runs past both ends of the recording
            argv = [
                "taskset",
                "-c",
                str(args.client_cpu),
                wrk,
                "-t1",
                f"-c{args.connections}",
                f"-d{load_for}s",
                "--timeout",
                "5s",
                "-s",
                str(bench_wrk.WRK_DIR / "checked.lua"),
                url,
            ]
            load = subprocess.Popen(
                argv,
                env={**os.environ, **env},
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            try:
                time.sleep(1)  # the load is on before sampling starts
                record(py_spy, mock.pid, args.duration, args.rate, fmt, out, args.client_cpu)
                output, _ = load.communicate(timeout=load_for + 30)
            finally:
                if load.poll() is None:
                    load.kill()
                    load.wait()
            result = bench_wrk.parse_wrk_output(output)
            wrong = result["non2xx"] + result["unexpected"]
            print(
                f"load ({fmt} window): {result['rps']:.0f} requests/s, {wrong} wrong answers",
                file=sys.stderr,
            )
            if wrong:
                raise RuntimeError(f"wrong answers under load: {result.get('sample')}")
    return run_dir / "profile.txt", args.svg


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(__doc__ or "").splitlines()[0],
        usage="%(prog)s [options] [-- dqe-mock serve options]",
    )
    parser.add_argument("--method", choices=("GET", "POST"), default="GET")
    parser.add_argument("--duration", type=int, default=10, help="s sampled (10)")
    parser.add_argument("--rate", type=int, default=250, help="samples a second (250)")
    parser.add_argument("--top", type=int, default=25, help="rows of each table (25)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--svg", type=Path, help="also write a flamegraph SVG here")
    parser.add_argument("--raw", type=Path, help="also keep py-spy's raw profile here")
    parser.add_argument("serve_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_args[:1] == ["--"]:
        args.serve_args = args.serve_args[1:]
    run_dir = Path(tempfile.mkdtemp(prefix="dqe-profile-"))
    try:
        raw, svg = profile(args, run_dir)
    except (RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    lines = raw.read_text().splitlines()
    own, anywhere, total = costs(lines, args.top)
    serve = " ".join(args.serve_args) or "(defaults)"
    print(
        f"/IDMOBILE/ matching_notp {args.method}, dqe-mock serve options {serve}: "
        f"{total} samples at {args.rate} Hz over {args.duration} s\n"
    )
    print(table("Top self costs (innermost frame)", own))
    print()
    print(
        table(
            "Top inclusive costs (anywhere on the stack; start-up and event-loop frames, "
            "on nearly every sample, left out)",
            anywhere,
        )
    )
    if args.raw:
        shutil.copyfile(raw, args.raw)
        print(f"\nraw profile: {args.raw}")
    if svg:
        print(f"\nflamegraph: {svg}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

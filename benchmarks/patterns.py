"""How long the slowest scenario `pattern`s within the caps take to compile on RE2.

The caps (256 characters, a 64 KiB compiled program, 20,000 instructions per document) bound
the compile time of any pattern a scenario document can hold; this prints that time for the
worst patterns tests/test_scenario_document_kinds.py lists, best of five fresh compiles each.
Run from the project root: `.venv/bin/python benchmarks/patterns.py`.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

import re2

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mockserver.domain.patterns import NumberPattern, PatternError
from tests.test_scenario_document_kinds import WORST

ROUNDS = 5


def fresh_compile_ms(pattern: str) -> tuple[float, str]:
    """Best of ROUNDS fresh compiles, in milliseconds, and whether RE2 accepted it."""
    best, verdict = float("inf"), "accepted"
    for _ in range(ROUNDS):
        re2.purge()  # the wrapper memoises compiles: time a fresh one
        started = time.perf_counter()
        try:
            NumberPattern.compile(pattern)
        except PatternError:
            verdict = "refused"
        best = min(best, (time.perf_counter() - started) * 1000)
    return best, verdict


def main() -> None:
    print(f"{'pattern':28} {'chars':>5} {'ms':>8}  verdict")
    worst = 0.0
    for name, pattern in WORST.items():
        with contextlib.suppress(Exception):
            ms, verdict = fresh_compile_ms(pattern)
            worst = max(worst, ms)
            print(f"{name:28} {len(pattern):5} {ms:8.2f}  {verdict}")
    print(f"slowest: {worst:.2f} ms")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Draw how matching scores fall for "same person, typed differently" vs "another person".

    .venv/bin/pip install -e '.[charts]'         matplotlib, once
    .venv/bin/python scripts/score_chart.py      writes docs/score-chart.png
    .venv/bin/python scripts/score_chart.py --out FILE

A strip chart of the hand-written cases of tests/unit/scoring_cases.py: one lane per field
kind, a dot per score, "same" cases above the lane's line and "other" cases below it, cases
with the same score one bigger dot with their count, so a threshold reads as a vertical line
(docs/matching-scores.md). Only draw() needs matplotlib; points() and layout() are tested
without it (tests/test_score_chart.py).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: the table lives in tests/
    sys.path.insert(0, str(ROOT))

from tests.unit.scoring_cases import OTHER, SAME, SCORERS, TABLE  # noqa: E402

OUT = ROOT / "docs" / "score-chart.png"
# How far above (same) or below (other) a lane's line its dots sit, in lane units (lanes are
# 1 apart).
OFFSET = 0.2
COLOURS = {SAME: "#1a7f37", OTHER: "#cf222e"}
LABELS = {SAME: "same person / place, typed differently", OTHER: "another person / place"}


@dataclass(frozen=True)
class Point:
    """One case of the table: its field kind, verdict, score and what was compared."""

    kind: str
    verdict: str
    score: float
    label: str


def points(table: Sequence[tuple[str, str, str, float, float, str, str]] = TABLE) -> list[Point]:
    """Every row of the table scored by its kind's scorer (rows not scored are left out)."""
    found = []
    for kind, typed, held, _, _, verdict, _ in table:
        score = SCORERS[kind](typed, held)
        if isinstance(score, float):
            found.append(Point(kind, verdict, score, f"{typed} / {held}"))
    return found


def lanes(found: Sequence[Point]) -> list[str]:
    """The field kinds, in the table's order, top lane first."""
    return list(dict.fromkeys(p.kind for p in found))


def layout(found: Sequence[Point]) -> list[tuple[float, float, str, int]]:
    """(x, y, verdict, count) of each distinct score of a kind and verdict, in table order:
    x the score; y its lane (the first kind at the top) OFFSET above for same, below for
    other; count how many cases have it."""
    order = lanes(found)
    counts = Counter((p.kind, p.verdict, p.score) for p in found)
    placed = []
    for kind, verdict, score in counts:
        side = 1 if verdict == SAME else -1
        lane = len(order) - 1 - order.index(kind)
        placed.append((score, lane + side * OFFSET, verdict, counts[kind, verdict, score]))
    return placed


def draw(found: Sequence[Point], out: Path) -> None:
    """Write the strip chart of `found` to `out` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = lanes(found)
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(order) + 1.4), dpi=110)
    placed = layout(found)
    for verdict in (SAME, OTHER):
        mine = [(x, y, n) for x, y, v, n in placed if v == verdict]
        sizes = [30 + 25 * (n - 1) for _, _, n in mine]
        xs, ys = [x for x, _, _ in mine], [y for _, y, _ in mine]
        ax.scatter(xs, ys, s=sizes, c=COLOURS[verdict], label=LABELS[verdict], alpha=0.75)
        for x, y, n in mine:
            if n > 1:
                ax.annotate(str(n), (x, y), ha="center", va="center", fontsize=7, color="white")
    ax.set_yticks(range(len(order)), list(reversed(order)))
    for lane in range(len(order)):
        ax.axhline(lane, color="#d0d7de", linewidth=0.8, zorder=0)
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.7, len(order) - 0.3)
    ax.set_xlabel("score (a number in a dot: that many cases with this score)")
    ax.set_title(f"Matching scores of the {len(found)} hand-written cases")
    legend = ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.06), ncol=2, frameon=False)
    for handle in legend.legend_handles:
        handle.set_sizes([30])  # type: ignore[union-attr]
    fig.tight_layout()
    fig.savefig(out, metadata={"Software": None})
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """Draw the chart; 0 when written."""
    parser = argparse.ArgumentParser(prog="scripts/score_chart.py", description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT, help=f"PNG to write (default {OUT})")
    args = parser.parse_args(argv)
    draw(points(), args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

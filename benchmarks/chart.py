#!/usr/bin/env python3
"""Draw bench_wrk.py's figures, and dqe-mock against the peers, as a PNG bar chart.

    .venv/bin/pip install -e '.[charts]'                       matplotlib, once
    .venv/bin/python benchmarks/bench_wrk.py --json bench.json
    .venv/bin/python benchmarks/chart.py bench.json            writes docs/bench-chart.png
    .venv/bin/python benchmarks/chart.py bench.json --peers latest --out FILE

Left: requests/s of each workload on the bare aiohttp handler and on dqe-mock, from one
bench_wrk.py run. Right (with --peers, a results file of ../shared/bench-peers/run_peers.sh,
`latest` for the newest in ~/.cache/dqe-bench-peers/results/): /IDMOBILE/ matching_notp GET
and POST of each peer (WireMock, Prism, Mountebank, bare aiohttp with and without uvloop) as
a ratio to bare aiohttp measured in the peers' run, next to dqe-mock's ratio from the
bench_wrk.py run. Absolute requests/s of two runs do not compare (this VM's speed drifts by
20 % and more from minute to minute); ratios to the bare handler of the same run do.
Only draw() needs matplotlib; parse_peers(), bars() and the rest are tested without it
(tests/test_bench_chart.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "bench-chart.png"
PEERS_RESULTS = Path.home() / ".cache" / "dqe-bench-peers" / "results"

THIS_RUN = "requests/s (one bench_wrk.py run)"
VS_PEERS = "matching_notp, ratio to bare aiohttp of the same run"
BARE, MOCK = "bare aiohttp", "dqe-mock"
# run_peers.sh's peer names, as the chart names them; peers not listed keep their own name.
PEER_LABELS = {
    "aiohttp": "bare aiohttp",
    "aiohttp-uvloop": "bare aiohttp + uvloop",
    "aiohttp-uvloop-parse": "bare aiohttp + uvloop + parsing",
    "wiremock": "WireMock",
    "prism": "Prism",
    "mountebank": "Mountebank",
    "dqemock": "dqe-mock (peers run)",
    "dqemock-quiet": "dqe-mock --log-level WARNING (peers run)",
}
# bench_wrk.py's workload keys, as the chart names them (short: they label the x axis).
WORKLOAD_LABELS = {
    "matching_get": "matching_notp\nGET",
    "matching_post": "matching_notp\nPOST",
    "poll_pending": "/GET/\npending",
    "poll_finished": "/GET/\nfinished",
    "error_10": "error\nanswer",
    "flows": "consent flows\n(requests)",
    "access_token": "/ACCESS_TOKEN/",
}


@dataclass(frozen=True)
class PeerRow:
    """One row of a run_peers.sh results table: the peer and its GET and POST requests/s
    (None where the run has no figure)."""

    peer: str
    get_rps: float | None
    post_rps: float | None


@dataclass(frozen=True)
class Bar:
    """One bar: its panel, its group on the x axis, its series (colour) and height."""

    panel: str
    group: str
    series: str
    value: float


def _number(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


def parse_peers(text: str) -> list[PeerRow]:
    """The rows of run_peers.sh's printed table: the lines after the `peer|GET rps|POST rps|...`
    header and its `---+---` separator, up to the first line without a `|`.
    Raises ValueError when the text has no such table."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        cells = [c.strip() for c in line.split("|")]
        if cells[:3] == ["peer", "GET rps", "POST rps"]:
            start = i + 2 if i + 1 < len(lines) and lines[i + 1].startswith("---") else i + 1
            break
    else:
        raise ValueError("no run_peers.sh table (a `peer|GET rps|POST rps|...` header) found")
    rows = []
    for line in lines[start:]:
        if "|" not in line:
            break
        cells = line.split("|")
        rows.append(PeerRow(cells[0].strip(), _number(cells[1]), _number(cells[2])))
    return rows


def this_run_bars(results: Mapping[str, Any]) -> list[Bar]:
    """Requests/s of each workload of a bench_wrk.py results document, bare then dqe-mock,
    in the document's order (the flows have no bare figure)."""
    found = []
    for work in results["workloads"]:
        group = WORKLOAD_LABELS.get(work["key"], work["label"])
        for series, side in ((BARE, "bare"), (MOCK, "dqe_mock")):
            if work.get(side) is not None:
                found.append(Bar(THIS_RUN, group, series, float(work[side]["rps"])))
    return found


def peer_bars(peers: Sequence[PeerRow], results: Mapping[str, Any]) -> list[Bar]:
    """matching_notp GET and POST as ratios to bare aiohttp of the same run: each peer's over
    the peers run's `aiohttp` row, then dqe-mock's from the bench_wrk.py document.
    Raises ValueError when the peers table has no `aiohttp` row with both figures."""
    base = next((p for p in peers if p.peer == "aiohttp"), None)
    if base is None or not base.get_rps or not base.post_rps:
        raise ValueError("the peers table has no `aiohttp` row with GET and POST figures")
    found = []
    ratios = {w["key"]: w.get("ratio") for w in results["workloads"]}
    for group, key, base_rps in (
        ("GET", "matching_get", base.get_rps),
        ("POST", "matching_post", base.post_rps),
    ):
        for peer in peers:
            rps = peer.get_rps if group == "GET" else peer.post_rps
            if rps is not None:
                found.append(
                    Bar(VS_PEERS, group, PEER_LABELS.get(peer.peer, peer.peer), rps / base_rps)
                )
        if ratios.get(key) is not None:
            found.append(Bar(VS_PEERS, group, f"{MOCK} (bench_wrk.py run)", float(ratios[key])))
    return found


def series_of(bars: Sequence[Bar]) -> list[str]:
    return list(dict.fromkeys(b.series for b in bars))


def groups_of(bars: Sequence[Bar]) -> list[str]:
    return list(dict.fromkeys(b.group for b in bars))


def newest_peers_file(folder: Path = PEERS_RESULTS) -> Path:
    """The newest run-*.txt of the bench-peers results folder (names sort by time stamp)."""
    runs = sorted(folder.glob("run-*.txt"))
    if not runs:
        raise FileNotFoundError(f"no run-*.txt in {folder}: run ../shared/bench-peers/run_peers.sh")
    return runs[-1]


def draw(bars: Sequence[Bar], out: Path, title: str) -> None:
    """Write one panel per Bar.panel (side by side), grouped bars, to `out` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = list(dict.fromkeys(b.panel for b in bars))
    widths = [max(len(groups_of([b for b in bars if b.panel == p])), 4) for p in panels]
    fig, axes = plt.subplots(
        1,
        len(panels),
        figsize=(3 + 1.4 * sum(widths), 5.6),
        gridspec_kw={"width_ratios": widths},
        squeeze=False,
    )
    palette = plt.get_cmap("tab10")
    colours: dict[str, Any] = {}
    for ax, panel in zip(axes[0], panels, strict=True):
        mine = [b for b in bars if b.panel == panel]
        groups, series = groups_of(mine), series_of(mine)
        width = 0.8 / len(series)
        for j, name in enumerate(series):
            colour = colours.setdefault(name, palette(len(colours) % 10))
            for b in (b for b in mine if b.series == name):
                x = groups.index(b.group) - 0.4 + width * (j + 0.5)
                ax.bar(x, b.value, width, color=colour, label=name)
                text = f"{b.value:.2f}" if panel == VS_PEERS else f"{b.value / 1000:.1f}k"
                ax.annotate(
                    text,
                    (x, b.value),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    rotation=90 if len(series) > 3 else 0,
                )
        ax.set_xticks(range(len(groups)), groups, fontsize=8)
        ax.set_title(panel, fontsize=10)
        if panel == VS_PEERS:
            ax.axhline(1.0, color="grey", linewidth=0.8, linestyle="--")
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        ax.legend(
            unique.values(),
            unique.keys(),
            fontsize=7,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            ncol=min(len(unique), 3),
            frameon=False,
        )
        ax.margins(y=0.18)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def title_of(results: Mapping[str, Any], peers_file: Path | None) -> str:
    v, git = results["versions"], results["git"]
    text = (
        f"dqe-mock {v['dqe_mock']} ({git['revision'][:10]}), Python {v['python']}, aiohttp "
        f"{v['aiohttp']}; server on one core, wrk on the other; {results['when'][:10]}"
    )
    if peers_file is not None:
        text += f"; peers: {peers_file.name}"
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("results", type=Path, help="bench_wrk.py --json output")
    parser.add_argument("--peers", help="a run_peers.sh results file, or `latest`")
    parser.add_argument("--out", type=Path, default=OUT, help=f"the PNG ({OUT.relative_to(ROOT)})")
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text())
    bars = this_run_bars(results)
    peers_file = None
    if args.peers:
        try:
            peers_file = newest_peers_file() if args.peers == "latest" else Path(args.peers)
            bars += peer_bars(parse_peers(peers_file.read_text()), results)
        except (OSError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    draw(bars, args.out, title_of(results, peers_file))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""benchmarks/bench_state.py: its pure parts on hand-written inputs, and one short real run.

The figures themselves are measured by running the script (benchmarks/README.md), never
judged here. What is checked: reading INFO commandstats (a literal INFO text in Redis 7's
format), the calls between two readings, calls per flow, the ratios b/a and c/b, the verdict
on issue 16's target and its MISSED line, the protocol bytes the script sends to Redis, its
options, and that a short run (a second a workload) produces every figure with right answers.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "bench_state.py"

# INFO commandstats as Redis 7.0 prints it (other sections' lines are ignored).
INFO_BEFORE = """# Server\r
redis_version:7.0.15\r
\r
# Commandstats\r
cmdstat_get:calls=10,usec=25,usec_per_call=2.50,rejected_calls=0,failed_calls=0\r
cmdstat_evalsha:calls=4,usec=120,usec_per_call=30.00,rejected_calls=0,failed_calls=1\r
cmdstat_info:calls=2,usec=200,usec_per_call=100.00,rejected_calls=0,failed_calls=0\r
cmdstat_client|setinfo:calls=2,usec=3,usec_per_call=1.50,rejected_calls=0,failed_calls=0\r
"""
INFO_AFTER = """# Commandstats\r
cmdstat_get:calls=16,usec=40,usec_per_call=2.50,rejected_calls=0,failed_calls=0\r
cmdstat_evalsha:calls=4,usec=120,usec_per_call=30.00,rejected_calls=0,failed_calls=1\r
cmdstat_info:calls=3,usec=300,usec_per_call=100.00,rejected_calls=0,failed_calls=0\r
cmdstat_client|setinfo:calls=2,usec=3,usec_per_call=1.50,rejected_calls=0,failed_calls=0\r
cmdstat_hset:calls=5,usec=10,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r
cmdstat_config|resetstat:calls=1,usec=9,usec_per_call=9.00,rejected_calls=0,failed_calls=0\r
"""


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_state", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_state"] = module
    spec.loader.exec_module(module)
    return module


def test_commandstats_are_read_by_command_with_subcommands(bench: ModuleType) -> None:
    stats = bench.parse_commandstats(INFO_BEFORE)
    assert sorted(stats) == ["client|setinfo", "evalsha", "get", "info"]
    assert stats["get"] == {
        "calls": 10.0,
        "usec": 25.0,
        "usec_per_call": 2.5,
        "rejected_calls": 0.0,
        "failed_calls": 0.0,
    }
    assert stats["evalsha"]["failed_calls"] == 1.0


def test_no_commandstats_section_reads_as_no_commands(bench: ModuleType) -> None:
    assert bench.parse_commandstats("# Server\r\nredis_version:7.0.15\r\n") == {}


@pytest.mark.parametrize("line", ["cmdstat_get", "cmdstat_:calls=1", "cmdstat_get:calls"])
def test_a_malformed_commandstats_line_is_an_error(bench: ModuleType, line: str) -> None:
    with pytest.raises(ValueError, match="malformed commandstats line"):
        bench.parse_commandstats(line)


def test_calls_between_two_readings_leave_out_idle_and_own_commands(bench: ModuleType) -> None:
    before = bench.parse_commandstats(INFO_BEFORE)
    after = bench.parse_commandstats(INFO_AFTER)
    # get 10 -> 16, hset new with 5; evalsha and client|setinfo unchanged; info and
    # config|resetstat are the benchmark's own
    assert bench.calls_between(before, after) == {"get": 6, "hset": 5}
    assert bench.calls_between({}, before) == {"client|setinfo": 2, "evalsha": 4, "get": 10}


def test_calls_per_flow_by_step_and_in_total(bench: ModuleType) -> None:
    steps = {
        "token": {"set": 4},
        "initiation": {"evalsha": 4, "get": 4},
        "consent": {"evalsha": 4},
        "polls": {"evalsha": 12, "get": 2},
    }
    assert bench.per_flow(steps, 4) == {
        "evalsha": {"token": 0.0, "initiation": 1.0, "consent": 1.0, "polls": 3.0, "total": 5.0},
        "get": {"token": 0.0, "initiation": 1.0, "consent": 0.0, "polls": 0.5, "total": 1.5},
        "set": {"token": 1.0, "initiation": 0.0, "consent": 0.0, "polls": 0.0, "total": 1.0},
    }
    with pytest.raises(ValueError, match="no flows"):
        bench.per_flow(steps, 0)


def figures(rps: float, p50: float, key: str = "poll_pending") -> dict[str, Any]:
    return {"key": key, "label": key, "rps": rps, "p50_ms": p50}


def test_ratios_b_over_a_and_c_over_b(bench: ModuleType) -> None:
    setups = {
        "memory": {"workloads": [figures(8000, 4.0), figures(6000, 5.0, "flows")]},
        "redis": {"workloads": [figures(4000, 8.0), figures(3000, 12.5, "flows")]},
        "redis-2w": {"workloads": [figures(5000, 6.0)]},
    }
    assert bench.compare(setups) == [
        {
            "key": "poll_pending",
            "label": "poll_pending",
            "rps_b_over_a": 0.5,
            "rps_c_over_b": 1.25,
            "p50_b_over_a": 2.0,
            "p50_c_over_b": 0.75,
        },
        {
            "key": "flows",
            "label": "flows",
            "rps_b_over_a": 0.5,
            "rps_c_over_b": None,  # (c) has no flows figure
            "p50_b_over_a": 2.5,
            "p50_c_over_b": None,
        },
    ]


def test_a_setup_that_was_not_measured_gives_no_ratio(bench: ModuleType) -> None:
    rows = bench.compare({"memory": {"workloads": [figures(8000, 4.0)]}, "redis": {}})
    assert rows[0]["rps_b_over_a"] is None
    assert rows[0]["p50_b_over_a"] is None


# (p50 ratio b/a of /GET/ pending, of /GET/ finished) -> verdicts: issue 16's "at most 2x".
@pytest.mark.parametrize(
    ("pending", "finished", "verdicts", "line"),
    [
        (1.4, 2.0, ["met", "met"], "Every measured target is met."),
        (
            2.01,
            1.0,
            ["missed", "met"],
            "MISSED: Redis store's /GET/ pending p50 at most 2x the memory store's",
        ),
        (
            3.0,
            2.5,
            ["missed", "missed"],
            "MISSED: Redis store's /GET/ pending p50 at most 2x the memory store's; "
            "Redis store's /GET/ finished p50 at most 2x the memory store's",
        ),
        (None, 1.0, ["not measured", "met"], "Every measured target is met."),
        (
            None,
            None,
            ["not measured", "not measured"],
            "NOT MEASURED: no target could be judged (see the warnings).",
        ),
    ],
)
def test_the_p50_target_and_its_line(
    bench: ModuleType,
    pending: float | None,
    finished: float | None,
    verdicts: list[str],
    line: str,
) -> None:
    comparisons = [
        {"key": "poll_pending", "p50_b_over_a": pending},
        {"key": "poll_finished", "p50_b_over_a": finished},
        {"key": "access_token", "p50_b_over_a": 9.0},  # no target on it
    ]
    rows = bench.target_rows(comparisons)
    assert [r["verdict"] for r in rows] == verdicts
    assert bench.missed_line(rows) == line


def test_commands_are_sent_as_resp_arrays_of_bulk_strings(bench: ModuleType) -> None:
    assert bench.resp_command("INFO", "commandstats") == (
        b"*2\r\n$4\r\nINFO\r\n$12\r\ncommandstats\r\n"
    )


def test_replies_are_read(bench: ModuleType) -> None:
    assert bench.read_reply(io.BytesIO(b"+PONG\r\n")) == "PONG"
    assert bench.read_reply(io.BytesIO(b":42\r\n")) == 42
    assert bench.read_reply(io.BytesIO(b"$5\r\na\r\nbc\r\n")) == "a\r\nbc"
    assert bench.read_reply(io.BytesIO(b"$-1\r\n")) is None
    with pytest.raises(RuntimeError, match="Redis: ERR unknown command"):
        bench.read_reply(io.BytesIO(b"-ERR unknown command\r\n"))
    with pytest.raises(RuntimeError, match="closed"):
        bench.read_reply(io.BytesIO(b""))


def test_options(bench: ModuleType) -> None:
    args = bench.parse_args(["--quick", "--", "--log-level", "WARNING"])
    assert (args.duration, args.warmup, args.ops_flows) == (3, 1, 20)
    assert args.serve_args == ["--log-level", "WARNING"]
    assert args.setups == ["memory", "redis", "redis-2w"]
    assert args.redis_cpu == args.client_cpu == 1
    assert bench.parse_args(["--setups", "memory,redis"]).setups == ["memory", "redis"]


@pytest.mark.parametrize(
    "argv", [["--setups", "memory,disk"], ["--setups", ","], ["--client-cpu", "0"]]
)
def test_bad_options_are_refused(bench: ModuleType, argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        bench.parse_args(argv)


# ---- one short real run: a second a workload, memory and Redis ------------------------------


def test_a_short_run_of_the_memory_and_redis_stores(tmp_path: Path) -> None:
    out = tmp_path / "state.json"
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--setups",
            "memory,redis",
            "--duration",
            "1",
            "--warmup",
            "0",
            "--quiet-wait",
            "0",
            "--ops-flows",
            "3",
            "--run-dir",
            str(tmp_path / "run"),
            "--json",
            str(out),
            "--",
            "--log-level",
            "WARNING",
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    results = json.loads(out.read_text())
    keys = [
        "matching_get",
        "matching_post",
        "poll_pending",
        "poll_pending_spread",  # bench_state's own: a pending session per connection
        "poll_finished",
        "error_10",
        "flows",
        "access_token",
    ]
    for setup in ("memory", "redis"):
        rows = results["setups"][setup]["workloads"]
        assert [r["key"] for r in rows] == keys
        for row in rows:
            assert row["requests"] > 0, row
            assert (row["non2xx"], row["unexpected"]) == (0, 0), row
        assert rows[6]["flows"] > 0
    assert results["bad_answers"] == []
    # (b) really ran on Redis: it sent commands, and each flow made some
    assert results["setups"]["redis"]["redis_calls"] > 0
    assert "not_on_redis" not in results["setups"]["redis"]
    ops = results["redis_ops"]
    assert ops["flows"] == 3
    assert ops["requests_per_flow"] >= 4  # token, initiation, consent, at least one poll
    assert ops["total_calls_per_flow"] > 0
    # an idle process following (b)'s Redis did work while (b) served: the fold of the stream
    followed = results["follower"]
    assert [w["key"] for w in followed] == ["flows", "poll_finished"]
    for row in followed:
        assert (row["non2xx"], row["unexpected"]) == (0, 0), row
        assert row["follower_cpu_pct"] > 0, row
    # (c) was not asked for: only c/b ratios are missing; the target is judged either way
    assert [c["rps_c_over_b"] for c in results["comparisons"]] == [None] * len(keys)
    assert {t["verdict"] for t in results["targets"]} <= {"met", "missed"}
    assert ("MISSED:" in done.stdout) == ("missed" in {t["verdict"] for t in results["targets"]})
    assert ("2-CORE MACHINE" in done.stdout) == ((os.cpu_count() or 0) <= 2)
    # (b)'s redis-server is stopped and its directory gone
    assert not Path(f"/proc/{results['redis']['redis']['pid']}").exists()
    assert not Path(results["redis"]["redis"]["dir"]).exists()


@pytest.mark.parametrize(
    ("rps", "cpu_pct", "expected"),
    [(1000.0, 20.0, 200.0), (4000.0, 10.0, 25.0), (0.0, 5.0, None)],
)
def test_redis_microseconds_per_request(
    bench: ModuleType, rps: float, cpu_pct: float, expected: float | None
) -> None:
    # 20 % of a core over 1,000 requests/s: 0.2 s of CPU a second for 1,000 requests
    assert bench.redis_cost(rps, cpu_pct) == expected

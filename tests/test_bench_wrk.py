"""benchmarks/bench_wrk.py: its pure parts on hand-written inputs, and its wrk scripts' judging.

The figures themselves are measured by running the script (benchmarks/README.md), never here.
What is checked: reading wrk's output (the WRKRESULT / WRKSAMPLE lines the Lua scripts print),
/proc parsing, ratios and the verdict on each target of issue 14, and that the Lua scripts
count a wrong answer as wrong and a right one as right, against a real dqe-mock for a second.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.served import serve_cli

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "benchmarks" / "bench_wrk.py"

WRK_OUTPUT = """Running 8s test @ http://127.0.0.1:40001/IDMOBILE/?number=0612345678
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     6.10ms    1.20ms  30.00ms   90.00%
  40000 requests in 8.00s, 9.00MB read
Requests/sec:   5000.00
WRKRESULT requests=40000 duration_s=8.000 rps=5000.0 p50_ms=6.100 p90_ms=7.250 p99_ms=12.500 max_ms=30.000 bytes_per_req=331.0 err_connect=0 err_read=1 err_write=0 err_timeout=2 non2xx=3 unexpected=4
WRKSAMPLE 400 {"error": "invalid_client"}
"""


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_wrk", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_wrk"] = module
    spec.loader.exec_module(module)
    return module


def test_the_wrkresult_line_is_read_with_its_first_wrong_answer(bench: ModuleType) -> None:
    assert bench.parse_wrk_output(WRK_OUTPUT) == {
        "requests": 40000,
        "duration_s": 8.0,
        "rps": 5000.0,
        "p50_ms": 6.1,
        "p90_ms": 7.25,
        "p99_ms": 12.5,
        "max_ms": 30.0,
        "bytes_per_req": 331.0,
        "err_connect": 0,
        "err_read": 1,
        "err_write": 0,
        "err_timeout": 2,
        "non2xx": 3,
        "unexpected": 4,
        "sample": '400 {"error": "invalid_client"}',
    }


def test_the_flow_line_carries_flows_and_failures_by_step(bench: ModuleType) -> None:
    line = (
        "WRKRESULT requests=800 duration_s=2.000 rps=400.0 p50_ms=1.000 p90_ms=2.000 "
        "p99_ms=3.000 max_ms=4.000 bytes_per_req=416.9 err_connect=0 err_read=0 err_write=0 "
        "err_timeout=0 non2xx=0 unexpected=2 flows=199 flows_per_s=99.5 failures=2 "
        "fail_token=0 fail_idmobile=0 fail_consent=2 fail_poll=0 polls=199\n"
    )
    found = bench.parse_wrk_output(line)
    assert (found["flows"], found["flows_per_s"], found["fail_consent"]) == (199, 99.5, 2)
    assert "sample" not in found


def test_wrk_output_without_a_result_is_an_error(bench: ModuleType) -> None:
    with pytest.raises(ValueError, match="no WRKRESULT line"):
        bench.parse_wrk_output("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_socket_errors_add_up_connect_read_write_and_timeouts(bench: ModuleType) -> None:
    result = {"err_connect": 1, "err_read": 2, "err_write": 3, "err_timeout": 4, "non2xx": 100}
    assert bench.socket_errors(result) == 10


@pytest.mark.parametrize(
    ("value", "base", "expected"),
    [
        (1000.0, 4000.0, 0.25),
        (4000.0, 4000.0, 1.0),
        (None, 4000.0, None),
        (1.0, None, None),
        (1.0, 0.0, None),
    ],
)
def test_ratio(
    bench: ModuleType, value: float | None, base: float | None, expected: float | None
) -> None:
    assert bench.ratio(value, base) == expected


# (target name as in issue 14, measured, verdict): the limits are issue 14's.
VERDICTS = [
    ("matching_notp GET >= 0.5x bare (stretch 0.7x)", 0.49, "missed"),
    ("matching_notp GET >= 0.5x bare (stretch 0.7x)", 0.5, "met"),
    ("matching_notp GET >= 0.5x bare (stretch 0.7x)", 0.69, "met"),
    ("matching_notp GET >= 0.5x bare (stretch 0.7x)", 0.7, "met (stretch)"),
    ("/GET/ pending poll >= 0.7x bare (stretch 0.8x)", 0.75, "met"),
    ("/GET/ pending poll >= 0.7x bare (stretch 0.8x)", 0.81, "met (stretch)"),
    ("/ACCESS_TOKEN/ >= 0.7x bare", 0.95, "met"),
    ("/ACCESS_TOKEN/ >= 0.7x bare", 0.69, "missed"),
    ("start <= 1.5x bare's", 1.5, "met"),
    ("start <= 1.5x bare's", 1.51, "missed"),
    ("100,000 live sessions < 150 MB RSS", 149_999_999, "met"),
    ("100,000 live sessions < 150 MB RSS", 150_000_000, "missed"),
    ("100,000 live sessions < 150 MB RSS", None, "not measured"),
]


@pytest.mark.parametrize(("name", "measured", "expected"), VERDICTS)
def test_verdicts(bench: ModuleType, name: str, measured: float | None, expected: str) -> None:
    target = next(t for t in bench.TARGETS if t.name == name)
    assert bench.verdict(target, measured) == expected


def test_every_target_of_the_issue_is_judged_from_a_results_document(bench: ModuleType) -> None:
    results = {
        "workloads": [
            {"key": "matching_get", "ratio": 0.52},
            {"key": "matching_post", "ratio": 0.31},
            {"key": "poll_pending", "ratio": 0.85},
            {"key": "poll_finished", "ratio": 0.72},
            {"key": "error_10", "ratio": 0.6},
            {"key": "flows", "ratio": 0.2},
            {"key": "access_token", "ratio": None},
        ],
        "start": {"ratio": 1.2},
        "sessions": {"count": 100_000, "rss_bytes": 145 * 1024 * 1024},  # 152.0 MB
    }
    rows = bench.target_rows(results)
    assert [(r["name"], r["verdict"]) for r in rows] == [
        ("matching_notp GET >= 0.5x bare (stretch 0.7x)", "met"),
        ("matching_notp POST >= 0.5x bare (stretch 0.7x)", "missed"),
        ("/GET/ pending poll >= 0.7x bare (stretch 0.8x)", "met (stretch)"),
        ("/GET/ finished poll >= 0.7x bare (stretch 0.8x)", "met"),
        ("/ACCESS_TOKEN/ >= 0.7x bare", "not measured"),
        ("start <= 1.5x bare's", "met"),
        ("100,000 live sessions < 150 MB RSS", "missed"),
    ]
    assert bench.fmt_measured(rows[-1]) == "152.0 MB (145.0 MiB)"
    assert bench.fmt_measured(rows[0]) == "0.52x"


def test_sessions_of_another_count_do_not_judge_the_100k_target(bench: ModuleType) -> None:
    results = {"workloads": [], "start": {}, "sessions": {"count": 1000, "rss_bytes": 60_000_000}}
    assert bench.target_rows(results)[-1]["verdict"] == "not measured"


def test_cpu_times_count_fields_after_a_command_name_with_spaces(bench: ModuleType) -> None:
    line = "4242 (dqe (mock) x) R 1 4242 4242 0 -1 4194560 1200 0 0 0 731 42 0 0 20 0 1 0 99"
    assert bench.cpu_times(line) == 773  # utime 731 + stime 42


def test_cpu_busy_leaves_out_idle_and_iowait(bench: ModuleType) -> None:
    stat = (
        "cpu  300 10 100 2000 40 6 4 14 0 0\n"
        "cpu0 100 5 50 1000 20 3 2 7 0 0\n"
        "cpu1 200 5 50 1000 20 3 2 7 0 0\n"
        "intr 12345\n"
    )
    assert bench.cpu_busy(stat, 0) == (167, 1187)
    assert bench.cpu_busy(stat, 1) == (267, 1287)
    with pytest.raises(ValueError, match="cpu2"):
        bench.cpu_busy(stat, 2)


@pytest.mark.parametrize(
    ("value", "text"), [(34412.3, "34.4k"), (999.6, "1000"), (950.0, "950"), (None, "-")]
)
def test_rates_read_as_people_write_them(bench: ModuleType, value: float | None, text: str) -> None:
    assert bench.fmt_rate(value) == text


def test_markdown_table(bench: ModuleType) -> None:
    assert bench.markdown(["a", "b"], [[1, "x"], [2.5, "y"]]) == (
        "| a | b |\n|---|---|\n| 1 | x |\n| 2.5 | y |"
    )


def test_serve_options_follow_the_double_dash(bench: ModuleType) -> None:
    args = bench.parse_args(["--duration", "3", "--", "--log-level", "WARNING"])
    assert (args.duration, args.serve_args) == (3, ["--log-level", "WARNING"])
    assert bench.parse_args([]).serve_args == []


def test_server_and_client_on_one_core_is_refused(bench: ModuleType) -> None:
    with pytest.raises(SystemExit):
        bench.parse_args(["--server-cpu", "1", "--client-cpu", "1"])


# ---- the Lua scripts, against a real dqe-mock for a second each ----------------------------


def wrk(bench: ModuleType, script: str, url: str, env: dict[str, str], threads: int = 1) -> dict:
    path = shutil.which("wrk")
    assert path, "wrk is missing: scripts/test installs Debian's wrk"
    done = subprocess.run(
        [
            path,
            f"-t{threads}",
            f"-c{threads}",
            "-d1s",
            "--timeout",
            "5s",
            "-s",
            str(bench.WRK_DIR / script),
            url,
        ],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    result: dict = bench.parse_wrk_output(done.stdout + done.stderr)
    return result


@pytest.fixture(scope="module")
def mock(bench: ModuleType, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    log = tmp_path_factory.mktemp("bench") / "serve.log"
    with serve_cli(
        log,
        "--no-watch",
        "--log-level",
        "WARNING",
        "--token-ttl",
        "3600",
        "--scenarios",
        str(bench.LICENCE_FILE),
    ) as url:
        yield url


def test_whole_flows_are_counted_and_a_refused_code_is_a_consent_failure(
    bench: ModuleType, mock: str
) -> None:
    good = wrk(bench, "flow.lua", mock + "/", {"BENCH_NUMBER": "0639980001"}, threads=2)
    assert good["flows"] > 0
    assert (good["failures"], good["non2xx"]) == (0, 0)
    assert good["polls"] >= good["flows"]
    bad = wrk(bench, "flow.lua", mock + "/", {"BENCH_OTP": "000000"}, threads=2)
    assert bad["flows"] == 0
    assert bad["fail_consent"] > 0
    assert bad["fail_consent"] == bad["failures"]
    assert bad["sample"].startswith("consent 200")  # the page again, no redirect


def test_checked_answers_count_non_2xx_and_unexpected_bodies(bench: ModuleType, mock: str) -> None:
    token = f"{mock}/ACCESS_TOKEN/?client_secret=bench-secret&grant_type=client_idmobile&licence=L1"
    right = wrk(bench, "checked.lua", token, {"BENCH_EXPECT": '"access_token":%s*"'})
    assert right["requests"] > 0
    assert (right["non2xx"], right["unexpected"]) == (0, 0)
    wrong_secret = token.replace("bench-secret", "nope")
    refused = wrk(bench, "checked.lua", wrong_secret, {"BENCH_EXPECT": '"access_token"'})
    assert refused["non2xx"] == refused["requests"]
    assert refused["sample"].startswith("400 ")
    unexpected = wrk(bench, "checked.lua", token, {"BENCH_EXPECT": '"error_id"'})
    assert unexpected["unexpected"] == unexpected["requests"]
    assert unexpected["non2xx"] == 0


def test_a_paths_file_gives_each_connection_its_own_path(
    bench: ModuleType, mock: str, tmp_path: Path
) -> None:
    token = "/ACCESS_TOKEN/?client_secret=bench-secret&grant_type=client_idmobile&licence=L1"
    paths = tmp_path / "paths"
    paths.write_text(f"{token}\n{token.replace('bench-secret', 'nope')}\n")
    env = {"BENCH_EXPECT": '"access_token":%s*"', "BENCH_PATHS_FILE": str(paths)}
    # the URL's own path is refused: only the file's paths are sent
    both = wrk(bench, "checked.lua", mock + "/nowhere", env, threads=2)
    assert 0 < both["non2xx"] < both["requests"]  # one connection each way
    assert both["unexpected"] == 0
    assert both["sample"].startswith("400 ")
    paths.write_text(f"{token}\n")
    one = wrk(bench, "checked.lua", mock + "/nowhere", env, threads=2)  # wraps around
    assert one["requests"] > 0
    assert (one["non2xx"], one["unexpected"]) == (0, 0)


@pytest.mark.parametrize(
    ("rps", "cpu_pct", "expected"),
    [(5000.0, 100.0, 5000.0), (1000.0, 25.0, 4000.0), (10.0, 0.5, None)],
)
def test_requests_per_cpu_second(
    bench: ModuleType, rps: float, cpu_pct: float, expected: float | None
) -> None:
    assert bench.per_cpu_second(rps, cpu_pct) == expected


def test_measurements_under_90_percent_of_a_core_are_named(bench: ModuleType) -> None:
    workloads = [
        {"label": "/GET/ pending session", "bare": {"srv_cpu_pct": 55.4},
         "dqe_mock": {"srv_cpu_pct": 99.0}},
        {"label": "whole flows", "bare": None, "dqe_mock": {"srv_cpu_pct": 89.9}},
        {"label": "/ACCESS_TOKEN/", "bare": {"srv_cpu_pct": 90.0},
         "dqe_mock": {"srv_cpu_pct": 100.0}},
    ]  # fmt: skip
    assert bench.not_cpu_bound(workloads) == [
        "bare on /GET/ pending session (55.4 %)",
        "dqe-mock on whole flows (89.9 %)",
    ]

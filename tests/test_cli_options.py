"""Options a person mistypes get one line and status 2, never a traceback.

A hostile review found `--port 70000`, `--host 999.1.1.1` and `--log-level NOPE` printed
tracebacks, and `--token-ttl -5`, `0` or `1e21` were accepted while scenario files cap
`token_ttl` at 1..86400 (docs/limits.md, "Scenario documents"; scenario.schema.json).
"""

from __future__ import annotations

import pytest

from mockserver.cli import main

# (arguments, words the one-line error must hold): written by hand from the review.
REFUSED = [
    (["--port", "70000"], "must be 0 to 65535"),
    (["--port", "-1"], "must be 0 to 65535"),
    (["--port", "http"], "not a port number"),
    (["--log-level", "NOPE"], "invalid choice"),
    (["--token-ttl", "-5"], "must be 1 to 86400"),
    (["--token-ttl", "0"], "must be 1 to 86400"),
    (["--token-ttl", "86401"], "must be 1 to 86400"),
    (["--token-ttl", "999999999999999999999"], "must be 1 to 86400"),
    (["--token-ttl", "1e3"], "not a whole number"),
]


@pytest.mark.parametrize(("args", "words"), REFUSED)
def test_a_bad_option_is_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["serve", *args])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert words in err.splitlines()[-1]


def test_an_address_that_does_not_resolve_is_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["serve", "--host", "999.1.1.1", "--port", "0", "--no-default-pack"])
    err = capsys.readouterr().err
    assert status == 2
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if "cannot listen on 999.1.1.1:0" in line]


@pytest.mark.parametrize("level", ["debug", "WARNING", "Error"])
def test_log_levels_are_read_in_any_case(level: str) -> None:
    from mockserver.cli import _parser

    args = _parser().parse_args(["serve", "--log-level", level])
    assert args.log_level == level.upper()


@pytest.mark.parametrize("ttl", ["1", "300", "86400"])
def test_token_ttls_within_the_scenario_range_are_taken(ttl: str) -> None:
    from mockserver.cli import _parser

    assert _parser().parse_args(["serve", "--token-ttl", ttl]).token_ttl == int(ttl)

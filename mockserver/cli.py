"""dqe-mock serve | validate | proxy | score | report | export-session: the command line, each
command and option explained (`dqe-mock --help`, `dqe-mock COMMAND --help`)."""

from __future__ import annotations

import argparse
import logging
import math
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

from mockserver import __version__
from mockserver.contract.schemas import token_ttl_range
from mockserver.domain.lint import lint
from mockserver.domain.loading import ScenarioFileError, load_all
from mockserver.domain.yamldoc import MAX_DOCUMENT_BYTES
from mockserver.settings import EVENT_LOOPS, ProxySettings, ScoreSettings, Settings
from mockserver.store.base import StoreUnavailable
from mockserver.store.url import StateUrlError, parse_state_url

# `serve --workers N` (N > 1) on the memory store: refused, before anything listens.
WORKERS_NEED_REDIS = (
    "dqe-mock: --workers {n} cannot use --state memory: each worker is a separate process with "
    "its own memory, so a token issued by one would be unknown to another; add --state "
    "redis://host:port/db"
)

Options = type[Settings] | type[ProxySettings] | type[ScoreSettings]
# Where `serve` departs from Settings(): a long-running server reloads its scenario files on
# change, while Settings() (tests, the pytest plugin) starts no watcher.
SERVE_OVERRIDES: dict[str, Any] = {"watch": True}
DEFAULT_LOG_LEVEL = "INFO"


def default(options: Options, name: str) -> Any:
    """The default of the field `name` of Settings, ProxySettings or ScoreSettings (of `serve`
    for Settings).

    Every option of the CLI takes its default from here: each default is written once, in
    the dataclass (or the module constant the dataclass reads). KeyError for no such field.
    """
    if options is Settings and name in SERVE_OVERRIDES:
        return SERVE_OVERRIDES[name]
    for field in fields(options):
        if field.name == name:
            return field.default
    raise KeyError(name)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from exc
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 86400, not {text}")
    return value


def _public_url(text: str) -> str:
    from mockserver.domain.urls import UrlError, check_base_url

    try:
        return check_base_url(text)
    except UrlError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _add_timeouts(command: argparse.ArgumentParser, options: Options) -> None:
    """The three deadlines of slow clients (docs/limits.md "Reading requests")."""
    for name, what in (
        ("header_timeout", "from a request's first byte to its last header; later: 408, "
         "connection closed"),
        ("body_timeout", "from the headers to the end of the body; later: 408, connection "
         "closed"),
        ("keepalive_timeout", "an idle connection is kept open this long, then closed"),
    ):  # fmt: skip
        seconds = default(options, name)
        command.add_argument(
            "--" + name.replace("_", "-"), type=_seconds, default=seconds, metavar="SECONDS",
            help=f"{what} (seconds, default {seconds:g})",
        )  # fmt: skip


def _grace_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"must be between 0 and 3600 seconds, not {text}")
    return value


def _add_shutdown_timeout(parser: argparse.ArgumentParser, options: Options) -> None:
    seconds = default(options, "shutdown_timeout")
    parser.add_argument(
        "--shutdown-timeout",
        type=_grace_seconds,
        default=seconds,
        metavar="SECONDS",
        help="on SIGTERM/SIGINT, time requests in flight get to finish before they are cut "
        f"(default {seconds:g})",
    )


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0 to 65535 (0 picks a free one), not {value}")
    return value


def _token_ttl(text: str) -> int:
    low, high = token_ttl_range()
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of seconds: {text!r}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"must be {low} to {high} seconds, not {value}")
    return value


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _add_log_level(command: argparse.ArgumentParser, at_info: str) -> None:
    command.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default=DEFAULT_LOG_LEVEL,
        help=f"what to log, one of {', '.join(LOG_LEVELS)} (any case): INFO logs {at_info}, "
        f"DEBUG more, WARNING and ERROR only problems (default {DEFAULT_LOG_LEVEL})",
    )


DESCRIPTION = """\
dqe-mock: a mock of DQE Software's ID Mobile API (/ACCESS_TOKEN/, /IDMOBILE/, /GET/)
for tests, with a validating proxy in front of the real one and a scoring tool."""

EXAMPLES = """\
examples:
  dqe-mock serve                                    # the mock on http://127.0.0.1:8080
  dqe-mock validate my-scenarios.yaml               # check your scenario files
  dqe-mock serve --scenarios my-scenarios.yaml      # serve them, over the built-in pack
  dqe-mock proxy --upstream https://dqe.example --report report.json
  dqe-mock score +33639980001 '{"lastname": "Dupont", "firstname": "Jean"}'

`dqe-mock COMMAND --help` gives a command's options. The README's "Quick start" and
"Walkthrough with curl" sections show the mock at work."""

# command -> (one-line summary, examples); `score` declares its own (score_command.py).
COMMANDS = {
    "serve": (
        "run the mock server (Ctrl-C or SIGTERM stops it cleanly)",
        """\
examples:
  dqe-mock serve
  dqe-mock serve --port 9000 --scenarios scenarios/ shop.yaml --seed 1
  dqe-mock serve --host 0.0.0.0 --public-url http://localhost:8080 --strict
  dqe-mock serve --workers 4 --state redis://127.0.0.1:6379/0""",
    ),
    "validate": (
        "check scenario files as serve would load them, and exit",
        """\
exit status:
  0  every file loads and lint finds nothing
  1  a problem: `file:line: reason` lines on stderr (schema, YAML, lint)
  2  the command line itself is wrong (usage error)

examples:
  dqe-mock validate shop.yaml
  dqe-mock validate scenarios/ extra.yaml --no-default-pack""",
    ),
    "proxy": (
        "forward to a DQE server, check both directions, record scenarios",
        """\
examples:
  dqe-mock proxy --upstream https://dqe.example --port 8081 --report report.json
  dqe-mock proxy --upstream https://dqe.example --record recorded.yaml --seed 42""",
    ),
}


def _command(commands: Any, name: str) -> argparse.ArgumentParser:
    """A subcommand with its one-line summary as description and its examples as epilog."""
    summary, examples = COMMANDS[name]
    return commands.add_parser(  # type: ignore[no-any-return]
        name,
        help=summary,
        description=f"dqe-mock {name}: {summary}.",
        epilog=examples,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _parser(serve_only: bool = False) -> argparse.ArgumentParser:
    """The command line's parser; `serve_only`: the serve command's alone (see main)."""
    parser = argparse.ArgumentParser(
        prog="dqe-mock",
        description=DESCRIPTION,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"dqe-mock {__version__}")
    commands = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="COMMAND",
        help="one of these (required); `dqe-mock COMMAND --help` gives its options",
    )

    serve = _command(commands, "serve")
    _add_serve_options(serve)
    _add_log_level(
        serve, "start, reloads and each error answered (and each request with --access-log)"
    )
    if serve_only:
        return parser

    validate = _command(commands, "validate")
    validate.add_argument(
        "paths",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="scenario files (*.yaml, *.yml) or directories of them, layered in this order",
    )
    validate.add_argument(
        "--no-default-pack",
        action="store_false",
        dest="include_default_pack",
        help="lint the files alone, not layered over the built-in pack (default: over it)",
    )
    _max_document_option(validate)

    proxy = _command(commands, "proxy")
    _add_proxy_options(proxy)
    _add_log_level(proxy, "start and one line per request")
    from mockserver.export_command import add_export_command
    from mockserver.report_command import add_report_command
    from mockserver.score_command import add_score_command

    add_score_command(commands)
    add_report_command(commands)
    add_export_command(commands)
    return parser


def _add_listen(command: argparse.ArgumentParser, options: Options) -> None:
    host, port = default(options, "host"), default(options, "port")
    command.add_argument("--host", default=host, help=f"address to listen on (default {host})")
    command.add_argument(
        "--port", type=_port, default=port, help=f"port (default {port}; 0 picks a free one)"
    )


def add_scenario_options(command: argparse.ArgumentParser, options: Options, how: str) -> None:
    """`--scenarios PATH...` and `--no-default-pack`, with `options`' defaults."""
    command.add_argument(
        "--scenarios",
        dest="scenario_paths",
        nargs="+",
        type=Path,
        default=default(options, "scenario_paths"),
        metavar="PATH",
        help=f"one or more scenario files or directories, {how} (default: none)",
    )
    command.add_argument(
        "--no-default-pack",
        action="store_false",
        dest="include_default_pack",
        help="do not load the built-in pack (default: loaded)",
    )


def _add_serve_options(serve: argparse.ArgumentParser) -> None:
    """`serve`'s options: each dest is a field of Settings, each default that field's."""
    _add_listen(serve, Settings)
    serve.add_argument(
        "--access-log",
        action="store_true",
        default=default(Settings, "access_log"),
        help="log one line per request (off by default: /__admin/journal keeps every request)",
    )
    serve.add_argument(
        "--event-loop",
        choices=EVENT_LOOPS,
        default=default(Settings, "event_loop"),
        help="asyncio event loop: auto takes uvloop when installed (default %(default)s)",
    )
    add_scenario_options(serve, Settings, "layered over the built-in pack")
    serve.add_argument(
        "--public-url",
        type=_public_url,
        default=default(Settings, "public_url"),
        metavar="URL",
        help="base url of consent links (behind Docker or a proxy): http(s)://host[:port][/path] "
        "(default: the Host each request came with)",
    )
    low, high = token_ttl_range()
    ttl = default(Settings, "token_ttl")
    serve.add_argument(
        "--token-ttl",
        type=_token_ttl,
        default=ttl,
        metavar="SECONDS",
        help=f"token lifetime in seconds, {low} to {high} (default {ttl})",
    )
    serve.add_argument(
        "--check-responses",
        action="store_true",
        help="validate every response against its schema; log violations loudly (default: off)",
    )
    serve.add_argument(
        "--seed",
        type=int,
        default=default(Settings, "seed"),
        metavar="N",
        help="seed of every random value (tokens, ids), for runs that repeat (default: none, "
        "random)",
    )
    max_body = default(Settings, "max_body")
    serve.add_argument(
        "--max-body",
        type=_positive,
        default=max_body,
        metavar="BYTES",
        help=f"largest request body in bytes, after decompression; larger: 413 (default "
        f"{max_body})",
    )
    _add_timeouts(serve, Settings)
    serve.add_argument(
        "--admin-token",
        default=default(Settings, "admin_token"),
        metavar="TOKEN",
        help="require `Authorization: Bearer TOKEN` on /__admin/ (default: none, open)",
    )
    serve.add_argument(
        "--no-watch",
        action="store_false",
        dest="watch",
        default=default(Settings, "watch"),
        help="do not reload scenario files on change (default: reload)",
    )
    serve.add_argument(
        "--watch-poll",
        action="store_true",
        help="notice scenario file changes by polling, where file-system events do not arrive "
        "(Docker bind mounts on macOS/Windows, network file systems) (default: off)",
    )
    _max_document_option(serve)
    _add_bounds(serve)
    _add_shutdown_timeout(serve, Settings)
    serve.add_argument(
        "--strict",
        action="store_true",
        help="count the journal's notes (what is accepted leniently: Licence spelling, JSON "
        "bodies, undocumented parameters...) as client conformance violations (default: off)",
    )
    _add_report_rules(serve)
    _add_state_options(serve)


def _state_url(text: str) -> str:
    try:
        return parse_state_url(text).url
    except StateUrlError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_state_options(serve: argparse.ArgumentParser) -> None:
    """Where state lives and how many processes serve (docs/state-stores.md)."""
    serve.add_argument(
        "--state",
        type=_state_url,
        default=default(Settings, "state"),
        metavar="URL",
        help="where tokens, sessions, journal, runtime scenarios and report counters live: "
        "memory, or redis://host:port/db shared by workers and replicas (default %(default)s)",
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=default(Settings, "workers"),
        metavar="N",
        help="processes serving the port together (SO_REUSEPORT); more than 1 needs --state "
        "redis://... (default %(default)s)",
    )
    # Internal: `serve --workers N` starts each child with its index (mockserver/http/workers.py);
    # the child then binds with SO_REUSEPORT and shows its index in /__admin/health.
    serve.add_argument(
        "--worker-index",
        dest="worker",
        type=_positive,
        default=default(Settings, "worker"),
        help=argparse.SUPPRESS,
    )


def _add_report_rules(serve: argparse.ArgumentParser) -> None:
    """The client report's behaviour rules (docs/client-report.md)."""
    interval, backoff = default(Settings, "min_poll_interval"), default(Settings, "min_backoff")
    serve.add_argument(
        "--min-poll-interval", type=_grace_seconds, default=interval, metavar="SECONDS",
        help=f"report a session that polls /GET/ sooner than this after its previous poll "
        f"(default {interval:g}; 0 turns the rule off)",
    )  # fmt: skip
    serve.add_argument(
        "--min-backoff", type=_grace_seconds, default=backoff, metavar="SECONDS",
        help=f"report a retry sent sooner than this after an injected 5xx fault (default "
        f"{backoff:g})",
    )  # fmt: skip
    for name, flag, what in (
        ("forbid_poll_after_final", "--allow-poll-after-final",
         "do not report polls of /GET/ after a session's final answer"),
        ("require_new_token_after_30", "--allow-token-after-30",
         "do not report a token sent again after error 30 (invalid or expired token)"),
        ("require_backoff_after_5xx", "--allow-no-retry",
         "do not report an injected 5xx fault never retried, or retried too soon"),
    ):  # fmt: skip
        serve.add_argument(
            flag,
            action="store_false",
            dest=name,
            default=default(Settings, name),
            help=f"{what} (default: reported)",
        )


def _add_bounds(serve: argparse.ArgumentParser) -> None:
    """How much state `serve` keeps: journal entries, sessions, tokens."""
    for name, what in (
        ("journal_limit", "journal entries kept"),
        ("max_sessions", "sessions kept; past it the oldest finished one, else the oldest, "
         "is forgotten"),
        ("max_tokens", "tokens kept; past it the oldest expired one, else the oldest, is "
         "forgotten with its session"),
    ):  # fmt: skip
        limit = default(Settings, name)
        serve.add_argument(
            "--" + name.replace("_", "-"), type=_positive, default=limit, metavar="N",
            help=f"{what} (default {limit})",
        )  # fmt: skip


def _add_proxy_options(proxy: argparse.ArgumentParser) -> None:
    """`proxy`'s options: each dest is a field of ProxySettings, each default that field's."""
    proxy.add_argument(
        "--upstream",
        required=True,
        metavar="URL",
        help="the DQE server to forward to, e.g. https://dqe.example (required)",
    )
    _add_listen(proxy, ProxySettings)
    proxy.add_argument(
        "--record",
        type=Path,
        default=default(ProxySettings, "record"),
        metavar="FILE",
        help="write a scenario file of what was seen (pseudonymised) at exit (default: none)",
    )
    proxy.add_argument(
        "--report",
        type=Path,
        default=default(ProxySettings, "report"),
        metavar="FILE",
        help="write the report (JSON: the violations each way, counts) at exit; also at GET "
        "/__proxy/report (default: none)",
    )
    proxy.add_argument(
        "--seed",
        type=int,
        default=default(ProxySettings, "seed"),
        metavar="N",
        help="key of the pseudonyms in --record (keep it secret) (default: none, random)",
    )
    _add_timeouts(proxy, ProxySettings)
    findings = default(ProxySettings, "max_findings")
    proxy.add_argument(
        "--max-findings",
        type=_positive,
        default=findings,
        metavar="N",
        help="violations kept in the report, each way; older ones are counted, not kept "
        f"(default {findings})",
    )
    _add_shutdown_timeout(proxy, ProxySettings)


def _max_document_option(parser: argparse.ArgumentParser) -> None:
    limit = default(Settings, "max_document_bytes")
    parser.add_argument(
        "--max-scenario-bytes",
        dest="max_document_bytes",
        type=_positive,
        default=limit,
        metavar="N",
        help=f"largest scenario document (file or admin API body), also with YAML aliases "
        f"expanded (default {limit})",
    )


def _fields_of(options: Options, args: argparse.Namespace) -> dict[str, Any]:
    """The parsed options that are fields of `options` (dest and field share their name)."""
    values = vars(args)
    return {f.name: values[f.name] for f in fields(options) if f.name in values}


def _settings(args: argparse.Namespace) -> Settings:
    values = _fields_of(Settings, args)
    values["scenario_paths"] = tuple(values["scenario_paths"])
    return Settings(**values)


def _score_settings(args: argparse.Namespace) -> ScoreSettings:
    values = _fields_of(ScoreSettings, args)
    values["scenario_paths"] = tuple(values["scenario_paths"])
    return ScoreSettings(**values)


def serve(settings: Settings, serve_args: Sequence[str] = ()) -> int:
    """Run until SIGTERM or SIGINT, then stop gracefully (see http.lifecycle); 0 when stopped.

    `serve_args`: the command line after `serve`, which `--workers N` (N > 1) passes on to
    each worker (http/workers.py). 2, with one line on stderr, for N > 1 on the memory store.
    """
    if settings.workers > 1:
        if parse_state_url(settings.state).is_memory:
            print(WORKERS_NEED_REDIS.format(n=settings.workers), file=sys.stderr)
            return 2
        from mockserver.http.workers import run_workers

        return run_workers(settings, serve_args)

    from mockserver.http.app import create_app
    from mockserver.http.lifecycle import listening_banner, run

    try:
        app = create_app(settings)
    except ScenarioFileError as exc:
        print(f"dqe-mock: cannot load scenarios:\n{exc}", file=sys.stderr)
        return 2

    def banner(port: int) -> str:
        return listening_banner(settings.host, port)

    try:
        return run(app, settings, banner, settings.event_loop, reuse_port=settings.worker > 0)
    except StoreUnavailable as exc:  # at start: nothing served yet, say why and stop
        print(f"dqe-mock: cannot start: {exc.reason}", file=sys.stderr)
        return 2


def validate(
    paths: Sequence[Path],
    include_default_pack: bool = True,
    max_bytes: int = MAX_DOCUMENT_BYTES,
) -> int:
    """Lint each path as the server would load it (over the built-in pack): schema, semantics.

    Prints `file:line: reason` per problem and returns 1 if there was any; never a traceback.
    """
    # The paths are layered in order, as `serve --scenarios` layers them: a file may use the
    # operators or licences of an earlier one.
    try:
        loaded = load_all(paths, include_default_pack, max_bytes)
        own = tuple(s for s in loaded.sources if not s.startswith("<built-in>"))
        findings = lint(loaded, own)
    except ScenarioFileError as exc:
        print(exc, file=sys.stderr)
        return 1
    except Exception as exc:  # a bug of dqe-mock: one line, not a traceback, and exit 1
        where = ", ".join(str(p) for p in paths)
        print(f"{where}:1: unexpected error (a bug in dqe-mock): {exc!r}", file=sys.stderr)
        return 1
    for finding in findings:
        print(finding, file=sys.stderr)
    if findings:
        return 1
    pack = "with the built-in pack" if include_default_pack else "without the built-in pack"
    for path in paths:
        print(f"{path}: ok ({len(loaded.scenarios)} scenarios {pack})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the dqe-mock command."""
    given = list(sys.argv[1:] if argv is None else argv)
    # `dqe-mock serve ...` parses with serve's parser alone: the other commands' modules (the
    # report's, the export's, the score's) are then never imported, ~1.5 MiB less RSS for a
    # server and a shorter start (benchmarks/README.md). Its help and errors are the same.
    args = _parser(serve_only=given[:1] == ["serve"]).parse_args(given)
    if args.command == "serve":
        # A worker of `serve --workers N` says which one it is in each line.
        name = f"%(name)s[worker {args.worker}]" if args.worker else "%(name)s"
        logging.basicConfig(
            level=args.log_level.upper(), format=f"%(asctime)s {name} %(levelname)s %(message)s"
        )
        return serve(_settings(args), given[1:])
    if args.command == "proxy":
        from mockserver.http.proxy import run_proxy

        logging.basicConfig(
            level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s"
        )
        return run_proxy(ProxySettings(**_fields_of(ProxySettings, args)))
    if args.command == "score":
        from mockserver.score_command import run_score

        return run_score(_score_settings(args))
    if args.command == "report":
        from mockserver.report_command import run_report

        return run_report(args)
    if args.command == "export-session":
        from mockserver.export_command import run_export

        return run_export(args)
    return validate(args.paths, args.include_default_pack, args.max_document_bytes)


if __name__ == "__main__":
    sys.exit(main())

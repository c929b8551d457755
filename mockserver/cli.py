"""dqe-mock serve | validate."""

from __future__ import annotations

import argparse
import logging
import math
import sys
from collections.abc import Sequence
from pathlib import Path

from mockserver import __version__
from mockserver.contract.schemas import token_ttl_range
from mockserver.domain.lint import lint
from mockserver.domain.loading import ScenarioFileError, load_all
from mockserver.domain.scenarios import DEFAULT_TOKEN_TTL
from mockserver.domain.yamldoc import MAX_DOCUMENT_BYTES
from mockserver.settings import (
    DEFAULT_BODY_TIMEOUT,
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_JOURNAL_LIMIT,
    DEFAULT_KEEPALIVE_TIMEOUT,
    DEFAULT_MAX_BODY,
    DEFAULT_MAX_FINDINGS,
    DEFAULT_MAX_SESSIONS,
    DEFAULT_MAX_TOKENS,
    DEFAULT_SHUTDOWN_TIMEOUT,
    Settings,
)


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


def _add_timeouts(command: argparse.ArgumentParser) -> None:
    """The three deadlines of slow clients (README: Reading requests)."""
    for option, default, what in (
        ("--header-timeout", DEFAULT_HEADER_TIMEOUT, "from a request's first byte to its "
         "last header; later: 408, connection closed"),
        ("--body-timeout", DEFAULT_BODY_TIMEOUT, "from the headers to the end of the body; "
         "later: 408, connection closed"),
        ("--keepalive-timeout", DEFAULT_KEEPALIVE_TIMEOUT, "an idle connection is closed "
         "after this long"),
    ):  # fmt: skip
        command.add_argument(
            option, type=_seconds, default=default, metavar="SECONDS",
            help=f"seconds {what} ({default:g})",
        )  # fmt: skip


def _grace_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"must be between 0 and 3600 seconds, not {text}")
    return value


def _add_shutdown_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--shutdown-timeout",
        type=_grace_seconds,
        default=DEFAULT_SHUTDOWN_TIMEOUT,
        metavar="SECONDS",
        help="on SIGTERM/SIGINT, time requests in flight get to finish before they are cut "
        f"(default {DEFAULT_SHUTDOWN_TIMEOUT:g})",
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


def _add_log_level(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default="INFO",
        help="what to log: INFO logs one line per request (default INFO)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dqe-mock", description="A mock of DQE's ID Mobile API.")
    parser.add_argument("--version", action="version", version=f"dqe-mock {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the mock server")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument(
        "--port", type=_port, default=8080, help="port (default 8080; 0 picks a free one)"
    )
    serve.add_argument(
        "--scenarios",
        nargs="*",
        type=Path,
        default=[],
        metavar="PATH",
        help="scenario files or directories, layered over the built-in pack",
    )
    serve.add_argument(
        "--no-default-pack", action="store_true", help="do not load the built-in pack"
    )
    serve.add_argument(
        "--public-url",
        type=_public_url,
        help="base url of consent links (behind Docker or a proxy): http(s)://host[:port][/path]",
    )
    low, high = token_ttl_range()
    serve.add_argument(
        "--token-ttl",
        type=_token_ttl,
        default=DEFAULT_TOKEN_TTL,
        metavar="SECONDS",
        help=f"token lifetime in seconds, {low} to {high} (default {DEFAULT_TOKEN_TTL})",
    )
    serve.add_argument(
        "--check-responses",
        action="store_true",
        help="validate every response against its schema; log violations loudly",
    )
    serve.add_argument("--seed", type=int, help="seed of every random value (tokens, ids)")
    serve.add_argument(
        "--max-body",
        type=_positive,
        default=DEFAULT_MAX_BODY,
        help=f"largest request body in bytes, after decompression ({DEFAULT_MAX_BODY}); "
        "larger: 413",
    )
    _add_timeouts(serve)
    serve.add_argument("--admin-token", help="require `Authorization: Bearer TOKEN` on /__admin/")
    serve.add_argument(
        "--no-watch", action="store_true", help="do not reload scenario files on change"
    )
    serve.add_argument(
        "--watch-poll",
        action="store_true",
        help="notice scenario file changes by polling, where file-system events do not arrive "
        "(Docker bind mounts on macOS/Windows, network file systems)",
    )
    _max_document_option(serve)
    serve.add_argument(
        "--journal-limit",
        type=_positive,
        default=DEFAULT_JOURNAL_LIMIT,
        help=f"journal entries kept (default {DEFAULT_JOURNAL_LIMIT})",
    )
    serve.add_argument(
        "--max-sessions",
        type=_positive,
        default=DEFAULT_MAX_SESSIONS,
        help="sessions kept; past it the oldest finished one, else the oldest, is forgotten "
        f"(default {DEFAULT_MAX_SESSIONS})",
    )
    serve.add_argument(
        "--max-tokens",
        type=_positive,
        default=DEFAULT_MAX_TOKENS,
        help="tokens kept; past it the oldest expired one, else the oldest, is forgotten "
        f"with its session (default {DEFAULT_MAX_TOKENS})",
    )
    _add_shutdown_timeout(serve)
    serve.add_argument(
        "--strict",
        action="store_true",
        help="count the journal's notes (what is accepted leniently: Licence spelling, JSON "
        "bodies, undocumented parameters...) as client conformance violations",
    )
    _add_log_level(serve)

    validate = commands.add_parser("validate", help="check scenario files and exit")
    validate.add_argument("paths", nargs="+", type=Path)
    validate.add_argument(
        "--no-default-pack",
        action="store_true",
        help="lint the files alone, not layered over the built-in pack",
    )
    _max_document_option(validate)

    proxy = commands.add_parser(
        "proxy", help="forward to a DQE server, check both directions, record scenarios"
    )
    proxy.add_argument("--upstream", required=True, metavar="URL", help="the server to forward to")
    proxy.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    proxy.add_argument(
        "--port", type=_port, default=8081, help="port (default 8081; 0: a free one)"
    )
    proxy.add_argument("--record", type=Path, metavar="FILE", help="write a scenario file at exit")
    proxy.add_argument("--report", type=Path, metavar="FILE", help="write the report at exit")
    proxy.add_argument("--seed", type=int, help="key of the pseudonyms (keep it secret)")
    _add_timeouts(proxy)
    proxy.add_argument(
        "--max-findings",
        type=_positive,
        default=DEFAULT_MAX_FINDINGS,
        help="violations kept in the report, each way; older ones are counted, not kept "
        f"(default {DEFAULT_MAX_FINDINGS})",
    )
    _add_shutdown_timeout(proxy)
    _add_log_level(proxy)
    return parser


def _max_document_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--max-scenario-bytes",
        type=_positive,
        default=MAX_DOCUMENT_BYTES,
        metavar="N",
        help=f"largest scenario document (file or admin API body), also with YAML aliases "
        f"expanded (default {MAX_DOCUMENT_BYTES})",
    )


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(
        host=args.host,
        port=args.port,
        scenario_paths=tuple(args.scenarios),
        include_default_pack=not args.no_default_pack,
        public_url=args.public_url,
        token_ttl=args.token_ttl,
        check_responses=args.check_responses,
        seed=args.seed,
        max_body=args.max_body,
        header_timeout=args.header_timeout,
        body_timeout=args.body_timeout,
        keepalive_timeout=args.keepalive_timeout,
        admin_token=args.admin_token,
        watch=not args.no_watch,
        watch_poll=args.watch_poll,
        max_document_bytes=args.max_scenario_bytes,
        journal_limit=args.journal_limit,
        max_sessions=args.max_sessions,
        max_tokens=args.max_tokens,
        shutdown_timeout=args.shutdown_timeout,
        strict=args.strict,
    )


def serve(settings: Settings) -> int:
    """Run until SIGTERM or SIGINT, then stop gracefully (see http.lifecycle); 0 when stopped."""
    from mockserver.http.app import create_app
    from mockserver.http.lifecycle import run

    try:
        app = create_app(settings)
    except ScenarioFileError as exc:
        print(f"dqe-mock: cannot load scenarios:\n{exc}", file=sys.stderr)
        return 2

    def banner(port: int) -> str:
        return f"dqe-mock {__version__} listening on http://{settings.host}:{port}"

    return run(app, settings, banner)


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
    args = _parser().parse_args(argv)
    if args.command == "serve":
        logging.basicConfig(
            level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s"
        )
        return serve(_settings(args))
    if args.command == "proxy":
        from mockserver.http.proxy import ProxySettings, run_proxy

        logging.basicConfig(
            level=args.log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s"
        )
        return run_proxy(
            ProxySettings(
                args.upstream,
                args.host,
                args.port,
                args.record,
                args.report,
                args.seed,
                header_timeout=args.header_timeout,
                body_timeout=args.body_timeout,
                keepalive_timeout=args.keepalive_timeout,
                max_findings=args.max_findings,
                shutdown_timeout=args.shutdown_timeout,
            )
        )
    return validate(args.paths, not args.no_default_pack, args.max_scenario_bytes)


if __name__ == "__main__":
    sys.exit(main())

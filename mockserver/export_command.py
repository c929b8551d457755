"""`dqe-mock export-session TOKEN --url URL`: a running mock's session as a scenario file.

It fetches `GET /__admin/sessions/{token}/scenario` (docs/client-report.md "Export a session as a
scenario") and writes the YAML to --output or standard output. Exit 0 when written, 1 when
the mock refused (unknown token: 404, bad token: 400, wrong admin token: 401), 2 for a usage
error (a malformed --url or --namespace), an unreachable mock, or an output that cannot be
written.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
from pathlib import Path
from typing import Any

from mockserver.admin_fetch import (
    EXIT_2,
    Refused,
    Unreachable,
    admin_get,
    cannot_write,
    mock_url,
    namespace,
)

# Seconds to wait for the mock's answer.
TIMEOUT = 30.0
# The largest scenario file accepted from the mock (a session's file is a few kilobytes).
MAX_BYTES = 1024 * 1024


EXPORT_EPILOG = f"""\
exit status:
  0  the scenario file was written
  1  the mock refused (unknown token, another namespace, a bad token)
  2  {EXIT_2} (one line on stderr)

examples:
  dqe-mock export-session TK2cf0096e... --url http://127.0.0.1:8080 --output replay.yaml
  dqe-mock serve --scenarios replay.yaml      # the session's answers, on a laptop
"""


def add_export_command(commands: Any) -> None:
    """Declare `export-session` on the CLI's subcommands."""
    export = commands.add_parser(
        "export-session",
        help="write a running mock's session as a scenario file that replays it",
        description=(
            "Fetch GET /__admin/sessions/TOKEN/scenario from a running dqe-mock and write the "
            "scenario file: one scenario on the session's number, with the outcome, pending "
            "polls and faults the session met."
        ),
        epilog=EXPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument(
        "token",
        help="the access token the session's /IDMOBILE/ request used (a token has one session: "
        "its latest /IDMOBILE/, which replaced any earlier one with that token)",
    )
    export.add_argument(
        "--url", required=True, type=mock_url,
        help="the mock's base URL, http(s)://host[:port] (required)",
    )  # fmt: skip
    export.add_argument(
        "--admin-token",
        default=None,
        help="the mock's --admin-token, if it has one (default: none)",
    )
    export.add_argument(
        "--namespace",
        type=namespace,
        default=None,
        help="the session's namespace, refused if it is another (default: the session's)",
    )
    export.add_argument(
        "--output", type=Path, default=None, help="the file to write (default: standard output)"
    )


def export_url(base: str, token: str, namespace: str | None) -> str:
    """The admin call's URL: the token percent-encoded, the namespace as ?namespace=."""
    url = f"{base.rstrip('/')}/__admin/sessions/{urllib.parse.quote(token, safe='')}/scenario"
    if namespace is not None:
        url += "?" + urllib.parse.urlencode({"namespace": namespace})
    return url


def run_export(args: argparse.Namespace) -> int:
    """Fetch and write; one line on standard error when anything goes wrong."""
    url = export_url(args.url, args.token, args.namespace)
    unwritable = cannot_write(args.output)
    if unwritable:
        print(f"dqe-mock export-session: {unwritable}", file=sys.stderr)
        return 2
    try:
        raw = admin_get(url, args.admin_token, "application/yaml", TIMEOUT, MAX_BYTES)
    except Refused as exc:
        print(f"dqe-mock export-session: HTTP {exc.status}: {_said(exc)}", file=sys.stderr)
        return 1
    except Unreachable as exc:
        print(f"dqe-mock export-session: {exc}", file=sys.stderr)
        return 2
    if len(raw) > MAX_BYTES:
        print(f"dqe-mock export-session: the answer is over {MAX_BYTES} bytes", file=sys.stderr)
        return 2
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        print("dqe-mock export-session: the answer is not UTF-8 (is it a dqe-mock?)",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"dqe-mock export-session: cannot write {args.output}: {exc.strerror or exc}",
              file=sys.stderr)  # fmt: skip
        return 2
    print(f"{args.output}: written", file=sys.stderr)
    return 0


def _said(refused: Refused) -> str:
    """The admin error's sentence (its `error`), else the HTTP reason."""
    try:
        body = json.loads(refused.body)
    except ValueError:
        return refused.reason
    said = body.get("error") if isinstance(body, dict) else None
    return " ".join(str(said).split()) if said else refused.reason

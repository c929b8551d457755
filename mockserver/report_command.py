"""dqe-mock report: a running mock's client report, for people (text, HTML) and CI (JSON, JUnit).

It reads GET /__admin/report (schemas/admin/report.schema.json), adds a finding for each
scope or error id required with --require-scopes / --require-errors and never exercised,
and writes the report in the format asked. docs/client-report.md.
"""

from __future__ import annotations

import argparse
import datetime
import html
import json
import sys
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any
from xml.etree import ElementTree as ET

from mockserver.admin_fetch import (
    EXIT_2,
    Refused,
    Unreachable,
    admin_get,
    cannot_write,
    mock_url,
    namespace,
)
from mockserver.contract.errors import catalogue
from mockserver.contract.scopes import scope_names
from mockserver.domain.client_report import RULES
from mockserver.domain.urls import redact_userinfo

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
FORMATS = ("text", "json", "junit", "html")
TIMEOUT = 10.0
# The largest report accepted (a report lists at most 1,000 sessions and 1,000 findings).
MAX_BYTES = 64 * 1024 * 1024
# Violation kinds the client caused (a DQE error it provoked on purpose, error-<id>, is not).
CLIENT_VIOLATIONS = ("unknown-endpoint", "http-", "request-rule")
# The finding of a gated report that counted no request.
NOTHING_COUNTED = "nothing-counted"
EPILOG = f"""\
exit status:
  0  the report was written; nothing required is missing (and, with --fail-on-findings,
     there is no finding and no contract violation)
  1  a scope or error id given with --require-scopes/--require-errors was never exercised;
     or, with --fail-on-findings, the report has a finding or a contract violation; or,
     with either, nothing was counted (no request in --namespace since the start or the
     last reset: a typo in the namespace, a reset, or a client that never ran)
  2  {EXIT_2}; also when the mock answered something
     else than a report (one line on stderr)

examples:
  dqe-mock report --url http://127.0.0.1:8080 --format junit --output dqe-report.xml \\
      --require-scopes formfilling,numVerify --require-errors 30 --fail-on-findings
"""


class ReportError(Exception):
    """The report could not be had: a one-line reason (exit status 2)."""


def _csv(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def add_report_command(commands: Any) -> None:
    """Register `dqe-mock report` on the CLI's subcommands."""
    report = commands.add_parser(
        "report",
        help="a running mock's client report (coverage, conformance, behaviour) for CI",
        description="Fetch GET /__admin/report from a running dqe-mock and write it as text, "
        "JSON, JUnit XML (Jenkins, GitLab, GitHub Actions) or a self-contained HTML page.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument(
        "--url", required=True, type=mock_url,
        help="the mock's base url, http(s)://host[:port] (required)",
    )  # fmt: skip
    report.add_argument(
        "--namespace", type=namespace,
        help="report on one namespace, a name X-Dqe-Namespace accepts (default: all merged)",
    )  # fmt: skip
    report.add_argument(
        "--admin-token", help="the server's --admin-token, if it has one (default: none)"
    )
    report.add_argument(
        "--format",
        choices=FORMATS,
        default=FORMATS[0],
        help="output: text for people, json as served, junit for CI, html (default %(default)s)",
    )
    report.add_argument("--output", metavar="FILE", help="write to FILE (default: standard output)")
    report.add_argument(
        "--require-scopes", type=_csv, action="extend", default=[], metavar="S1,S2",
        help=f"scopes the client must have sent to /IDMOBILE/ ({', '.join(scope_names())}; "
        "default: none)",
    )  # fmt: skip
    report.add_argument(
        "--require-errors", type=_csv, action="extend", default=[], metavar="ID1,ID2",
        help="error ids the client must have met (02, 30, invalid_client...; default: none)",
    )  # fmt: skip
    report.add_argument(
        "--fail-on-findings", action="store_true",
        help="exit 1 when the report has a finding or a contract violation (default: off)",
    )  # fmt: skip


def run_report(args: argparse.Namespace) -> int:
    """`dqe-mock report`: the exit status (EPILOG)."""
    unknown = [s for s in args.require_scopes if s not in scope_names()]
    known_ids = {e.id for e in catalogue().all()}
    unknown += [i for i in args.require_errors if i not in known_ids]
    if unknown:
        print(f"dqe-mock report: not a documented scope or error id: {', '.join(unknown)}",
              file=sys.stderr)  # fmt: skip
        return EXIT_USAGE
    unwritable = cannot_write(args.output)
    if unwritable:
        print(f"dqe-mock report: {unwritable}", file=sys.stderr)
        return EXIT_USAGE
    try:
        report = fetch(args.url, args.namespace, args.admin_token)
    except ReportError as exc:
        print(f"dqe-mock report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    unmet = require(report, args.require_scopes, args.require_errors)
    gated = bool(args.fail_on_findings or args.require_scopes or args.require_errors)
    vacuous = gated and not nothing_counted(report)
    text = RENDERERS[args.format](report, args.require_scopes, args.require_errors)
    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8") as out:
                out.write(text)
        else:
            sys.stdout.write(text)
    except OSError as exc:
        print(f"dqe-mock report: cannot write {args.output}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    if unmet or vacuous:
        return EXIT_FAILED
    if args.fail_on_findings and (report["findings"] or client_violations(report)):
        return EXIT_FAILED
    return EXIT_OK


def fetch(url: str, namespace: str | None, admin_token: str | None) -> dict[str, Any]:
    """GET <url>/__admin/report[?namespace=] (`url` as mock_url returns it); ReportError with
    a one-line reason otherwise (user information never shown)."""
    query = f"?{urllib.parse.urlencode({'namespace': namespace})}" if namespace else ""
    target = f"{url.rstrip('/')}/__admin/report{query}"
    shown = redact_userinfo(target)
    try:
        raw = admin_get(target, admin_token, "application/json", TIMEOUT, MAX_BYTES)
    except Refused as exc:
        said = exc.body.strip().splitlines()
        raise ReportError(f"{shown}: HTTP {exc.status} {said[0][:200] if said else ''}") from exc
    except Unreachable as exc:
        raise ReportError(str(exc)) from exc
    if len(raw) > MAX_BYTES:
        raise ReportError(f"{shown} answered over {MAX_BYTES} bytes (is it a dqe-mock?)")
    try:
        report = json.loads(raw)
    except ValueError as exc:
        raise ReportError(f"{shown} did not answer JSON (is it a dqe-mock?)") from exc
    if not isinstance(report, dict) or "findings" not in report or "coverage" not in report:
        raise ReportError(f"{shown} did not answer a client report (is it a dqe-mock?)")
    return report


def require(report: dict[str, Any], scopes: Sequence[str], errors: Sequence[str]) -> list[str]:
    """Add a finding to `report` for each required scope or error id never exercised; return
    their names."""
    coverage = report["coverage"]
    sent = set(coverage.get("IDMOBILE", {}))
    met = {o for by in coverage.values() for outcomes in by.values() for o in outcomes}
    unmet = []
    for scope in dict.fromkeys(scopes):
        if scope not in sent:
            unmet.append(scope)
            report["findings"].append(_missing("missing-scope", f"Scope {scope} was never "
                f"sent to /IDMOBILE/: add a test that starts a {scope} check."))  # fmt: skip
    for error in dict.fromkeys(errors):
        if error not in met:
            unmet.append(error)
            report["findings"].append(_missing("missing-error", f"Error {error} was never "
                f"answered to the client: add a test that provokes it ({_how(error)}) "
                "and checks the client handles it."))  # fmt: skip
    report["totals"]["findings"] += len(unmet)
    report["totals"]["findings_listed"] = len(report["findings"])
    return unmet


def _how(error: str) -> str:
    """How a client's test provokes `error`: a magic number for a business error; for a
    token error, the /ACCESS_TOKEN/ rules that answer it (schemas/errors.json precedence)."""
    if error not in catalogue().token:
        return "README: Magic numbers"
    rules = [r for r in catalogue().rules.get("ACCESS_TOKEN", ()) if r.error_id == error]
    if any(r.name == "client_secret" for r in rules):
        return "a wrong client_secret for a licence of the licences table, README: Magic numbers"
    said = " or ".join(r.description.rstrip(".") for r in rules)
    return (
        f"a request to /ACCESS_TOKEN/ where {said[:1].lower()}{said[1:]}"
        if said
        else "no magic number"
    )


def nothing_counted(report: dict[str, Any]) -> bool:
    """Add a `nothing-counted` finding to `report` when it counted no request (a gate on it
    would pass vacuously); return whether the report counted anything."""
    if report["totals"]["requests"]:
        return True
    where = report["namespace"] or "all namespaces"
    report["findings"].insert(0, _missing(NOTHING_COUNTED, f"nothing was counted (namespace "
        f"{where}): a typo in --namespace, a reset, or the client never ran"))  # fmt: skip
    report["findings"][0]["namespace"] = report["namespace"]
    report["totals"]["findings"] += 1
    report["totals"]["findings_listed"] = len(report["findings"])
    return False


def _missing(rule: str, message: str) -> dict[str, Any]:
    return {"rule": rule, "namespace": None, "session": None, "requests": [], "message": message}


def client_violations(report: dict[str, Any]) -> dict[str, int]:
    """The violation counts the client caused (unknown paths, HTTP 4xx, broken request rules)."""
    return {
        kind: count
        for kind, count in report["conformance"]["violations"].items()
        if kind.startswith(CLIENT_VIOLATIONS)
    }


# -- formats ------------------------------------------------------------------------------


def as_json(report: dict[str, Any], scopes: Sequence[str], errors: Sequence[str]) -> str:
    """The report as served, with the findings of unmet requirements."""
    return json.dumps(report, indent=2) + "\n"


def as_text(report: dict[str, Any], scopes: Sequence[str], errors: Sequence[str]) -> str:
    """A summary for people."""
    totals = report["totals"]
    lines = [
        f"dqe-mock client report ({report['namespace'] or 'all namespaces'}), since "
        f"{report['since']}",
        f"requests {totals['requests']}, sessions {totals['sessions']}, findings "
        f"{totals['findings']}",
        "",
        "coverage:",
    ]
    for endpoint, by_scope in report["coverage"].items():
        for scope, outcomes in by_scope.items():
            said = ", ".join(f"{o} x{n}" for o, n in outcomes.items())
            lines.append(f"  /{endpoint}/ {scope}: {said}")
    missing = report["missing"]
    lines.append(f"  scopes never sent: {', '.join(missing['scopes']) or 'none'}")
    lines.append(f"  error ids never met: {', '.join(missing['error_ids']) or 'none'}")
    conformance = report["conformance"]
    lines.append("conformance:")
    for title, counts in (
        ("notes", conformance["notes"]),
        ("violations", conformance["violations"]),
    ):
        said = ", ".join(f"{k} x{n}" for k, n in counts.items()) or "none"
        lines.append(f"  {title}: {said}")
    lines.append("behaviour:")
    lines.append(f"  tokens used after expiry: {report['tokens_used_after_expiry']}")
    for session in report["sessions"][-20:]:
        lines.append(
            f"  session {session['session']} ({session['scope']}): {session['polls']} polls, "
            f"shortest interval {_seconds(session['shortest_interval_s'])}, "
            f"{session['polls_after_final']} after final, final {session['final'] or 'none'}"
        )
    for fault in report["fault_retries"]:
        lines.append(
            f"  fault {fault['fault']}: {fault['retries']} retries, first after "
            f"{_seconds(fault['first_retry_after_s'])}"
        )
    lines.append(f"findings ({len(report['findings'])}):")
    lines += [f"  [{f['rule']}] {f['message']}" for f in report["findings"]] or ["  none"]
    return "\n".join(lines) + "\n"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:g} s"


def _timestamp(report: dict[str, Any]) -> str:
    """The Ant schema's timestamp: seconds, no zone (the report's time is UTC)."""
    return str(report["generated_at"])[:19]


def as_junit(report: dict[str, Any], scopes: Sequence[str], errors: Sequence[str]) -> str:
    """JUnit XML in the Ant format (tests/fixtures/junit/junit.xsd): one testsuite per area
    (coverage, conformance, behaviour), one testcase per required scope or error id, per
    violation or note kind, per behaviour rule; failures carry the findings' messages."""
    findings_by_rule: dict[str, list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        findings_by_rule.setdefault(finding["rule"], []).append(finding)
    sent = set(report["coverage"].get("IDMOBILE", {}))
    met = {o for by in report["coverage"].values() for outs in by.values() for o in outs}
    missing = {f["message"]: f for f in report["findings"] if f["rule"].startswith("missing-")}
    coverage: list[tuple[str, list[str] | None]] = [
        (
            f"scope {scope}",
            [m for m in missing if f"Scope {scope} " in m] if scope not in sent else [],
        )
        for scope in dict.fromkeys(scopes)
    ]
    coverage += [
        (
            f"error {error}",
            [m for m in missing if f"Error {error} " in m] if error not in met else [],
        )
        for error in dict.fromkeys(errors)
    ]
    vacuous = [f["message"] for f in report["findings"] if f["rule"] == NOTHING_COUNTED]
    if vacuous or not coverage:
        coverage.insert(0, ("requests counted", vacuous))
    conformance: list[tuple[str, list[str] | None]] = []
    client = client_violations(report)
    for kind, count in report["conformance"]["violations"].items():
        failed = [f"{count} requests: {kind}"] if kind in client else []
        conformance.append((f"violations {kind}", failed))
    for kind in report["conformance"]["notes"]:
        conformance.append((f"notes {kind}", []))
    if not conformance:
        conformance.append(("requests conform", []))
    rules = report["rules"]
    enabled = {
        "poll-interval": rules["min_poll_interval_s"] > 0,
        "poll-after-final": rules["forbid_poll_after_final"],
        "new-token-after-30": rules["require_new_token_after_30"],
        "backoff-after-5xx": rules["require_backoff_after_5xx"],
    }
    behaviour: list[tuple[str, list[str] | None]] = [
        (rule, [f["message"] for f in findings_by_rule.get(rule, [])] if enabled[rule] else None)
        for rule in RULES
    ]
    root = ET.Element("testsuites")
    for number, (area, cases) in enumerate(
        (("coverage", coverage), ("conformance", conformance), ("behaviour", behaviour))
    ):
        _suite(root, report, number, area, cases)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _suite(
    root: ET.Element,
    report: dict[str, Any],
    number: int,
    area: str,
    cases: list[tuple[str, list[str] | None]],
) -> None:
    failures = sum(1 for _, failed in cases if failed)
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "package": "dqe-mock",
            "id": str(number),
            "name": f"dqe-mock.{area}",
            "timestamp": _timestamp(report),
            "hostname": "dqe-mock",
            "tests": str(len(cases)),
            "failures": str(failures),
            "errors": "0",
            "skipped": str(sum(1 for _, failed in cases if failed is None)),
            "time": "0",
        },
    )
    ET.SubElement(suite, "properties")
    for name, failed in cases:
        case = ET.SubElement(
            suite, "testcase", {"name": name, "classname": f"dqe-mock.{area}", "time": "0"}
        )
        if failed is None:
            ET.SubElement(case, "skipped", {"message": "rule turned off on the server"})
        elif failed:
            failure = ET.SubElement(case, "failure", {"message": failed[0], "type": name})
            failure.text = "\n".join(failed)
    ET.SubElement(suite, "system-out").text = f"namespace: {report['namespace'] or 'all'}"
    ET.SubElement(suite, "system-err").text = ""


def as_html(report: dict[str, Any], scopes: Sequence[str], errors: Sequence[str]) -> str:
    """A self-contained page (no script, no external asset); every value escaped."""

    def esc(value: Any) -> str:
        return html.escape(str(value), quote=True)

    def table(head: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
        header = "".join(f"<th>{esc(h)}</th>" for h in head)
        body = "".join(
            "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows
        )
        return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"

    coverage = [
        (endpoint, scope, outcome, count)
        for endpoint, by_scope in report["coverage"].items()
        for scope, outcomes in by_scope.items()
        for outcome, count in outcomes.items()
    ]
    conformance = [
        (what, kind, count)
        for what in ("notes", "violations")
        for kind, count in report["conformance"][what].items()
    ]
    sessions = [
        (s["session"], s["scope"], s["polls"], s["shortest_interval_s"], s["median_interval_s"],
         s["polls_after_final"], s["final"], s["consent_to_first_poll_s"])
        for s in report["sessions"]
    ]  # fmt: skip
    findings = [(f["rule"], f["session"], ", ".join(map(str, f["requests"])), f["message"])
                for f in report["findings"]]  # fmt: skip
    totals = report["totals"]
    generated = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    style = (
        "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;"
        "margin-bottom:1.5em}td,th{border:1px solid #bbb;padding:.25em .5em;text-align:left}"
        "th{background:#eee}.bad{color:#a00}"
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>dqe-mock client report — {esc(report['namespace'] or 'all namespaces')}</title>",
        f"<style>{style}</style></head><body>",
        f"<h1>dqe-mock client report — {esc(report['namespace'] or 'all namespaces')}</h1>",
        f"<p>Since {esc(report['since'])}; written {esc(generated)}. Requests "
        f"{esc(totals['requests'])}, sessions {esc(totals['sessions'])}, "
        f'<span class="bad">findings {esc(totals["findings"])}</span>.</p>',
        "<h2>Findings</h2>",
        table(("rule", "session", "requests", "message"), findings) if findings else "<p>None.</p>",
        "<h2>Coverage</h2>",
        table(("endpoint", "scope", "outcome", "requests"), coverage),
        f"<p>Scopes never sent: {esc(', '.join(report['missing']['scopes']) or 'none')}. "
        f"Error ids never met: {esc(', '.join(report['missing']['error_ids']) or 'none')}.</p>",
        "<h2>Conformance</h2>",
        table(("what", "kind", "requests"), conformance),
        "<h2>Sessions</h2>",
        table(
            (
                "session",
                "scope",
                "polls",
                "shortest interval s",
                "median interval s",
                "polls after final",
                "final",
                "consent to first poll s",
            ),
            sessions,
        ),
        f"<p>Tokens used after expiry: {esc(report['tokens_used_after_expiry'])}.</p>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


RENDERERS: dict[str, Callable[[dict[str, Any], Sequence[str], Sequence[str]], str]] = {
    "text": as_text,
    "json": as_json,
    "junit": as_junit,
    "html": as_html,
}

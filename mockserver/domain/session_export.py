"""A session as a scenario file that replays it: `GET /__admin/sessions/{token}/scenario`.

The file holds one scenario keyed on the session's number (`match.numbers`), with the outcome
the session met: the scenario's consent step (decision, code, attempts, auto), its pending
counted in polls, its final error id or success, numVerify, pinned scores, the subscriber
record; and the faults the session met (read from the journal), each limited to as many
requests as it hit (`first: N`). The same requests sent to a fresh mock serving the file get
the same answers (docs/client-report.md "Export a session as a scenario").

What is never written: the session's access token (a live credential on the mock that issued
it) and any client secret other than the one the built-in pack publishes for that licence
(README "Magic numbers", licences table); a licence defined elsewhere gets SECRET_PLACEHOLDER.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import yaml

from mockserver.contract.decisions import consent_errors, expiry_errors
from mockserver.contract.scopes import direct_scopes, retrieval_scope
from mockserver.domain.faults import Fault
from mockserver.domain.journal import JournalEntry
from mockserver.domain.loading import load_default
from mockserver.domain.rules import licence_of
from mockserver.domain.scenarios import (
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_OTP,
    Licence,
    Operator,
    ScenarioSet,
)
from mockserver.domain.sessions import Phase, Session

SECRET_PLACEHOLDER = "replace-with-the-client-secret"
# The endpoints a fault met by a session is replayed on, inside the scenario (the others,
# /ACCESS_TOKEN/, carry no number: their faults go at the top, narrowed to the licence).
SCENARIO_ENDPOINTS = ("IDMOBILE", "GET", "consent")
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


@dataclass(frozen=True)
class MetFault:
    """A fault the journal shows the session met: `count` requests to `endpoint`."""

    fault_id: str
    endpoint: str
    count: int


@cache
def built_in_pack() -> ScenarioSet:
    """The built-in pack as shipped (read once): its licences and operators are not written."""
    return load_default()


def scenario_id_of(session: Session) -> str:
    """The exported scenario's id: `replay-` and the session id (letters and digits)."""
    return f"replay-{session.id}"[:64]


def faults_met(session: Session, entries: Sequence[JournalEntry]) -> tuple[list[MetFault], bool]:
    """The faults the journal shows `session` met, in order of first meeting, and whether
    the journal still holds the session's /IDMOBILE/ answer (False: it has been dropped, so
    the faults it met cannot be told; none is returned).

    `entries`: the journal, oldest first. Tied to the session: the /ACCESS_TOKEN/ faults of
    its licence since the previous token of its namespace up to the one that issued its
    token; the /IDMOBILE/ faults with its token since the previous session of that token;
    the /GET/ faults with its token and the consent faults on its url, after its /IDMOBILE/.
    """
    opened = next((e for e in reversed(entries) if _opens(e, session)), None)
    if opened is None:
        return [], False
    counts: dict[tuple[str, str], int] = {}
    issued = next(
        (e for e in entries if e.endpoint == "ACCESS_TOKEN" and e.token == session.token), None
    )
    if issued is not None:
        _count_token_faults(entries, issued, session.licence, counts)
    earlier = [e for e in entries if e.id < opened.id]
    for entry in reversed(earlier):
        if entry.endpoint == "IDMOBILE" and _token_of(entry) == session.token:
            if entry.fault is None:
                break  # an earlier flow of this token: what follows is this one's retries
            _add(counts, entry)
    for entry in entries:
        if entry.id <= opened.id or entry.fault is None:
            continue
        by_token = entry.endpoint == "GET" and _token_of(entry) == session.token
        on_page = entry.endpoint == "consent" and entry.path.rstrip("/").endswith(f"/{session.id}")
        if by_token or on_page:
            _add(counts, entry)
    ordered = sorted(counts.items(), key=lambda item: _first_seen(entries, *item[0]))
    return [MetFault(fault, endpoint, count) for (fault, endpoint), count in ordered], True


def _opens(entry: JournalEntry, session: Session) -> bool:
    """Is `entry` the /IDMOBILE/ answer that opened `session` (its url names the session)?"""
    if entry.endpoint != "IDMOBILE" or entry.fault is not None:
        return False
    url = entry.response.get("url") if isinstance(entry.response, dict) else None
    return isinstance(url, str) and url.rstrip("/").endswith(f"/{session.id}")


def _token_of(entry: JournalEntry) -> str | None:
    return entry.token or entry.params.get("token")


def _count_token_faults(
    entries: Sequence[JournalEntry],
    issued: JournalEntry,
    licence: str,
    counts: dict[tuple[str, str], int],
) -> None:
    """The /ACCESS_TOKEN/ faults of `licence` right before the answer that issued the token."""
    for entry in reversed([e for e in entries if e.id < issued.id]):
        if entry.endpoint != "ACCESS_TOKEN" or entry.namespace != issued.namespace:
            continue
        if entry.fault is None:
            break  # the previous token request that got an answer
        if licence_of(entry.params) == licence:
            _add(counts, entry)


def _add(counts: dict[tuple[str, str], int], entry: JournalEntry) -> None:
    key = (str(entry.fault), str(entry.endpoint))
    counts[key] = counts.get(key, 0) + 1


def _first_seen(entries: Sequence[JournalEntry], fault: str, endpoint: str) -> int:
    return next(e.id for e in entries if e.fault == fault and e.endpoint == endpoint)


def pending_polls(session: Session) -> int | None:
    """Pending answers the session gave after consent before its final one (None: it has no
    final answer yet). Before consent /GET/ is pending whatever the scenario says."""
    if session.phase is not Phase.DONE:
        return None
    return max(session.polls_after_consent - 1, 0)  # the last poll counted got the answer


def session_document(
    session: Session,
    view: ScenarioSet,
    built_in: ScenarioSet,
    met: Iterable[MetFault],
) -> tuple[dict[str, Any], list[str]]:
    """The scenario document (schemas/scenario.schema.json) replaying `session`, and the
    notes for the file's header (what was left out and why).

    `view`: the scenarios of the session's namespace now (its faults and operator are read
    there); `built_in`: the built-in pack, whose licences and operators need not be written.
    """
    notes: list[str] = []
    outcome = _outcome(session, view)
    scenario: dict[str, Any] = {
        "id": scenario_id_of(session),
        "description": _clean(
            f"Replays session {session.id} ({session.scope} on {session.number}, "
            f"scenario {session.scenario_id}) as it met it."
        )[:1000],
        "match": {"numbers": [session.number]},
        "operator": session.operator,
    }
    if session.subscriber:
        scenario["subscriber"] = _plain(session.subscriber)
    if outcome:
        scenario["outcome"] = outcome
    faults = {fault.id: fault for fault in view.faults}
    inner: list[dict[str, Any]] = []
    top: list[dict[str, Any]] = []
    for number, item in enumerate(met, 1):
        fault = faults.get(item.fault_id)
        if fault is None:
            notes.append(
                f"fault {item.fault_id} (met {_times(item.count)} on {item.endpoint}) is no "
                "longer loaded: left out"
            )
            continue
        written = _fault(fault, item, f"met-{number}")
        if item.endpoint in SCENARIO_ENDPOINTS:
            inner.append(written)
        else:
            top.append({**written, "licences": [session.licence]})
    if inner:
        scenario["faults"] = inner
    document: dict[str, Any] = {
        "version": 1,
        "description": _clean(f"Session {session.id} of dqe-mock, exported as a scenario")[:1000],
    }
    licence = _licence(view.licences.get(session.licence), built_in, notes)
    if licence is not None:
        document["licences"] = [licence]
    operator = view.operators.get(session.operator)
    if operator is not None and _differs(operator, built_in.operators.get(operator.name)):
        document["operators"] = [_operator(operator)]
    document["scenarios"] = [scenario]
    if top:
        document["faults"] = top
    return document, notes


def _outcome(session: Session, view: ScenarioSet) -> dict[str, Any]:
    """The outcome the session met, with only what differs from the defaults, and nothing
    `dqe-mock validate` would call unreachable."""
    met = session.outcome
    outcome: dict[str, Any] = {}
    # consent_required only acts on matching_notp, which is retrieved as matching: the
    # scenario says whether this session's matching began as matching_notp.
    required = met.consent_required
    original = view.scenario(session.scenario_id)
    direct = next(iter(direct_scopes()), None)
    if original is not None and direct is not None and session.scope == retrieval_scope(direct):
        required = original.outcome_for(direct).consent_required
    if required:
        outcome["consent_required"] = True
    decision = met.consent.decision
    consent: dict[str, Any] = {}
    if decision != "approve":
        consent["decision"] = decision
    if met.consent.auto and decision not in expiry_errors():
        consent["auto"] = True
    if met.consent.otp != DEFAULT_OTP:
        consent["otp"] = met.consent.otp
    if met.consent.max_attempts != DEFAULT_MAX_ATTEMPTS:
        consent["max_attempts"] = met.consent.max_attempts
    if consent:
        outcome["consent"] = consent
    if decision not in expiry_errors():
        polls = pending_polls(session)
        if polls is not None:  # finished: as many pending answers as it gave, timing aside
            if polls:
                outcome["pending"] = {"polls": polls}
        elif met.pending.polls or met.pending.seconds:
            pending = {"polls": met.pending.polls} if met.pending.polls else {}
            outcome["pending"] = pending or {"seconds": met.pending.seconds}
        if met.result_error is not None and decision not in consent_errors():
            outcome["result_error"] = met.result_error
    if not met.numverify:
        outcome["numverify"] = False
    if met.scores:
        outcome["scores"] = _plain(met.scores)
    return outcome


def _fault(fault: Fault, met: MetFault, new_id: str) -> dict[str, Any]:
    written: dict[str, Any] = {
        "id": new_id,
        "description": _clean(
            f"Fault {fault.id}, met {_times(met.count)} on {met.endpoint} by the session"
        )[:1000],
        "endpoint": met.endpoint,
        "kind": fault.kind,
    }
    if fault.kind == "http_error":
        written["status"] = fault.status
    if fault.kind == "latency":
        written["latency"] = _plain(fault.latency or {"fixed": 0})
    if fault.kind == "hang":
        written["seconds"] = fault.seconds
    if fault.first is not None:
        # A bounded fault hits the first matching requests: the session's share of them.
        written["first"] = met.count
    return written


def _licence(
    licence: Licence | None, built_in: ScenarioSet, notes: list[str]
) -> dict[str, Any] | None:
    """The licence entry to write: none when the built-in pack has the same one."""
    if licence is None:
        return None
    published = built_in.licences.get(licence.licence)
    if not _differs(licence, published):
        return None
    secret = SECRET_PLACEHOLDER
    if published is not None and published.client_secret == licence.client_secret:
        secret = licence.client_secret  # the built-in pack's, published in the README
    else:
        notes.append(
            f"licence {licence.licence}: its client_secret is not written; replace "
            f"{SECRET_PLACEHOLDER!r} with it to replay the same requests"
        )
    written: dict[str, Any] = {"licence": licence.licence, "client_secret": secret}
    if licence.operators is not None:
        written["operators"] = sorted(licence.operators)
    if licence.scopes is not None:
        written["scopes"] = sorted(licence.scopes)
    if licence.token_ttl is not None:
        written["token_ttl"] = licence.token_ttl
    return written


def _operator(operator: Operator) -> dict[str, Any]:
    written: dict[str, Any] = {"name": operator.name}
    if operator.scopes is not None:
        written["scopes"] = sorted(operator.scopes)
    if operator.status != "available":
        written["status"] = operator.status
    if operator.requires_phone:
        written["requires_phone"] = True
    return written


def _differs(item: Licence | Operator, published: Licence | Operator | None) -> bool:
    """Is `item` other than the built-in pack's one of the same name (its source aside)?"""
    if published is None:
        return True
    mine = {k: v for k, v in vars(item).items() if k != "source"}
    return mine != {k: v for k, v in vars(published).items() if k != "source"}


def _plain(value: Mapping[str, Any]) -> Any:
    """JSON-like data only (dates as text), as the scenario schema wants it."""
    return json.loads(json.dumps(value, default=str))


def _clean(text: str) -> str:
    """One line of text: control characters and line separators as spaces."""
    return _UNSAFE.sub(" ", text)


def render(
    session: Session,
    view: ScenarioSet,
    built_in: ScenarioSet,
    entries: Sequence[JournalEntry],
    exported_at: str,
    now: float,
    version: str,
) -> str:
    """The scenario file's text: a comment header saying where it came from, then the YAML.

    `exported_at`: the wall-clock time of the export (ISO 8601, UTC); `now`: the mock's clock
    (seconds) when exporting, so that the header can say how long ago the session began.
    """
    met, held = faults_met(session, entries)
    document, notes = session_document(session, view, built_in, met)
    if not held:
        notes.append(
            "the journal no longer holds this session's /IDMOBILE/ answer: the faults it met, "
            "if any, are not known and not written"
        )
    polls = pending_polls(session)
    final = (session.final or "success") if session.phase is Phase.DONE else "none yet"
    lines = [
        f"Exported by dqe-mock {version} on {exported_at} from session {session.id}",
        f"(namespace {session.namespace}), which began {max(now - session.created_at, 0):.1f} s "
        "before (mock clock).",
        f"Scope {session.scope}, number {session.number}, operator {session.operator}, "
        f"licence {session.licence}, scenario {session.scenario_id}.",
        f"Met: consent {session.decision or 'not given'}; "
        + (f"{polls} pending answers after consent; " if polls is not None else "")
        + f"final answer {final}; faults: "
        + (", ".join(f"{m.fault_id} x{m.count} on {m.endpoint}" for m in met) or "none")
        + ".",
        "The session's access token is not written (a credential of the mock that issued it).",
        *(f"Note: {note}." for note in notes),
        "Replay: dqe-mock validate THIS_FILE; dqe-mock serve --scenarios THIS_FILE; then send",
        "the same requests (a new token from /ACCESS_TOKEN/).",
    ]
    header = "".join(f"# {_clean(line)}\n" for line in lines)
    body = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
    return header + body


class _Dumper(yaml.SafeDumper):
    """Writes repeated values out in full: no &anchors in a file meant to be read."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"

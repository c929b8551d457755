"""The journal's stable parts: bounds, order, namespaces, filtering, redaction.

Oracles: docs/admin-api.md and docs/limits.md (the journal keeps the latest entries, newest last, by
namespace; secrets masked; bounded parameters: the first 32, names cut at 64 characters, values at
1,000; at most 20 violation lines of 300 characters and a count of the rest) and the vendor's error
table (error 30, "invalid or expired token", from /GET/). The verdict words are left to
tests/test_journal.py.
"""

from __future__ import annotations

import json
from typing import Any

from mockserver.contract.conformance import Note
from mockserver.domain.journal import Journal, JournalEntry, redact


def entry(id: int, namespace: str = "ns", **fields: Any) -> JournalEntry:
    base: dict[str, Any] = {
        "at": 0.0, "method": "GET", "path": "/x/", "endpoint": None, "params": {},
        "status": 404, "response": None,
    }  # fmt: skip
    return JournalEntry(id=id, namespace=namespace, **{**base, **fields})


def ids(found: list[JournalEntry]) -> list[int]:
    return [e.id for e in found]


def test_ids_count_from_1() -> None:
    journal = Journal()
    assert [journal.next_id() for _ in range(3)] == [1, 2, 3]


def test_the_latest_limit_entries_are_kept_oldest_first() -> None:
    journal = Journal(limit=3)
    for i in range(1, 6):
        journal.add(entry(i))
    assert len(journal) == 3
    assert ids(journal.entries()) == [3, 4, 5]
    assert Journal().limit == 1000


def test_entries_by_namespace_after_an_id_and_the_last_n() -> None:
    journal = Journal()
    for i, ns in enumerate(["a", "b", "a", "a", "b"], 1):
        journal.add(entry(i, ns))
    assert ids(journal.entries("a")) == [1, 3, 4]
    assert ids(journal.entries(after=3)) == [4, 5]
    assert ids(journal.entries(limit=2)) == [4, 5]
    assert ids(journal.entries("a", limit=2, after=1)) == [3, 4]
    assert ids(journal.entries(limit=0)) == [1, 2, 3, 4, 5]  # 0: no limit
    assert ids(journal.entries("c")) == []


def test_reset_of_one_namespace_keeps_the_others_and_the_bound() -> None:
    journal = Journal(limit=3)
    for i, ns in enumerate(["a", "b", "a"], 1):
        journal.add(entry(i, ns))
    journal.reset("a")
    assert ids(journal.entries()) == [2]
    for i in range(4, 8):
        journal.add(entry(i, "b"))
    assert ids(journal.entries()) == [5, 6, 7]


def test_a_full_reset_forgets_everything_and_restarts_ids() -> None:
    journal = Journal()
    journal.next_id()
    journal.add(entry(1))
    journal.reset()
    assert len(journal) == 0
    assert journal.next_id() == 1


def test_reset_of_a_namespace_keeps_counting_ids() -> None:
    journal = Journal()
    journal.next_id()
    journal.reset("a")
    assert journal.next_id() == 2


def test_redact_masks_secrets_and_bounds_names_values_and_count() -> None:
    params = {f"p{i:02d}": "v" for i in range(40)}
    assert list(redact(params)) == [f"p{i:02d}" for i in range(32)]
    long_name = "n" * 70
    assert redact({long_name: "v"}) == {"n" * 64 + "…[+6 chars]": "v"}
    assert redact({"v": "x" * 1001}) == {"v": "x" * 1000 + "…[+1 chars]"}
    assert redact({"Client_Secret": "s", "licence": "L"}) == {
        "Client_Secret": "***",
        "licence": "L",
    }


def test_request_violations_are_bounded() -> None:
    many = entry(1, request_violations=tuple(f"v{i}" for i in range(25)))
    assert many.request_violations == (*(f"v{i}" for i in range(20)), "…[+5 more violations]")
    assert not many.conforms


def test_answers_outside_the_documented_endpoints_and_faults_are_not_judged() -> None:
    assert entry(1, endpoint=None, status=200, response={"x": 1}).response_violations == ()
    assert entry(1, endpoint="GET", status=200, response={}, fault="f").response_violations == ()
    assert entry(1, endpoint="GET", status=503, response={}, fault="f").response_violations == ()


def test_a_5xx_no_fault_asked_for_is_the_mocks_own_violation() -> None:
    # docs/admin-api.md "Journal verdicts and notes": a 500 from the mock is always a bug.
    for status in (500, 503):
        found = entry(1, endpoint="GET", status=status, response="x").response_violations
        assert found == (f"HTTP {status} is not a documented answer of /GET/",)


def test_a_documented_answer_conforms_and_a_wrong_one_does_not() -> None:
    # The error body of the vendor's table: error 30, "invalid or expired token".
    expired = {"status": "error", "error_type": "invalid or expired token", "error_id": "30"}
    good = entry(1, endpoint="GET", status=200, response=expired)
    assert good.response_violations == ()
    assert good.conforms
    bad = entry(1, endpoint="ACCESS_TOKEN", status=200, response={"x": 1})
    assert bad.response_violations
    assert not bad.conforms
    assert entry(1, endpoint="GET", status=404, response={}).response_violations
    assert entry(1, endpoint="GET", status=200, response="text").response_violations


def test_as_json_is_plain_data() -> None:
    data = entry(7, "ns", params={"a": "b"}, request_violations=("r",), endpoint="GET",
                 status=200, response={"status": "pending"}).as_json()  # fmt: skip
    assert data["id"] == 7
    assert data["namespace"] == "ns"
    assert data["params"] == {"a": "b"}
    assert data["request_violations"] == ["r"]
    assert isinstance(data["response_violations"], list)
    assert data["verdict"] != "conforms"


def note(number: int, message: str = "accepted") -> Note:
    return Note(f"kind-{number}", message, "page")


def test_notes_are_bounded_like_violations() -> None:
    # docs/limits.md: at most 20 lines of 300 characters each.
    many = entry(1, notes=tuple(note(i, "m" * 310) for i in range(25)))
    assert [n.id for n in many.notes] == [f"kind-{i}" for i in range(20)]
    assert {n.message for n in many.notes} == {"m" * 300 + "…[+10 chars]"}
    assert {n.page for n in many.notes} == {"page"}


def test_the_error_reason_is_cut_to_300_characters() -> None:
    assert entry(1, error_reason="r" * 305).error_reason == "r" * 300 + "…[+5 chars]"
    assert entry(1, error_reason="short").error_reason == "short"
    assert entry(1).error_reason is None


def test_verdict_and_reasons_of_an_error_notes_and_a_clean_answer() -> None:
    # docs/admin-api.md "Journal verdicts and notes": an error answered is a violation, its reason
    # the error's when no rule was broken; notes alone are `notes`; else `conforms`, no reason. (No
    # endpoint: the answer is not judged, so only these fields count.)
    error = entry(1, error_reason="error 30")
    assert (error.verdict, error.reasons) == ("violations", ("error 30",))
    noted = entry(2, notes=(note(1, "lenient"),))
    assert (noted.verdict, noted.reasons, noted.conforms) == ("notes", ("lenient",), False)
    clean = entry(3)
    assert (clean.verdict, clean.reasons, clean.conforms) == ("conforms", (), True)
    broken = entry(4, request_violations=("rule",), error_reason="why", notes=(note(1),))
    assert (broken.verdict, broken.reasons) == ("violations", ("rule",))


def test_as_json_spells_out_the_verdict_the_reasons_and_the_notes() -> None:
    data = entry(7, params={"a": "b"}, notes=(note(1, "lenient"),)).as_json()
    assert set(data) == {
        "id", "at", "namespace", "method", "path", "endpoint", "params", "status", "response",
        "scenario_id", "token", "error_id", "fault", "request_violations", "error_reason",
        "notes", "http_layer", "response_violations", "verdict", "reasons",
    }  # fmt: skip
    assert data["params"] == {"a": "b"}
    assert data["notes"] == [{"id": "kind-1", "message": "lenient", "page": "page"}]
    assert (data["verdict"], data["reasons"]) == ("notes", ["lenient"])
    assert json.loads(json.dumps(data)) == data

"""Recorder: observed exchanges -> a scenario document that replays them.

Oracles: docs/contract-testing.md "A validating proxy" and its row in docs/limits.md (pseudonymised
numbers in +33 6 39 98 8x xx, client secrets `recorded-secret`, 1,000 numbers, the latest 32 flows
of each, 10,000 flows waiting for /GET/), the recorder's documented rules (one scenario per number;
initiate_error from an /IDMOBILE/ error, result_error from a /GET/ one; pending polls after the
first; consent auto when the first poll had the answer; an error the request's own violations
explain is not recorded), the vendor docs (05 and 07 belong to the matching scopes; scores 0 to 1 or
"") and hand-written exchanges.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from mockserver.domain import recorder as recorder_module
from mockserver.domain.recorder import (
    Exchange,
    Flow,
    Recorder,
    pin_scores,
)

N1, N2 = "0639987011", "0639987012"
CONSENT = {"status": "success", "operator": "SFR", "url": "http://op/consent/1"}


def err(error: str) -> dict[str, str]:
    return {"status": "error", "error_type": "x", "error_id": error}


def start(rec: Recorder, scope: str, body: Any, number: str = N1, token: str = "T",
          request_error: str | None = None, **params: Any) -> None:  # fmt: skip
    rec.observe(Exchange("IDMOBILE", {"number": number, "token": token, "scope": scope, **params},
                         200, body, request_error))  # fmt: skip


def poll(rec: Recorder, body: Any, token: str = "T", request_error: str | None = None) -> None:
    rec.observe(Exchange("GET", {"token": token}, 200, body, request_error))


def only_scenario(rec: Recorder) -> dict[str, Any]:
    [scenario] = rec.document(seed=1)["scenarios"]
    return scenario


def test_an_empty_recording() -> None:
    assert Recorder().document(seed=1) == {
        "version": 1,
        "description": "Recorded by dqe-mock proxy: 0 numbers, pseudonymised",
    }


def test_licences_come_from_granted_tokens_only_with_the_recorded_secret() -> None:
    rec = Recorder()
    rec.observe(
        Exchange(
            "ACCESS_TOKEN", {"licence": "L1", "client_secret": "s"}, 200, {"access_token": "A"}
        )
    )
    rec.observe(Exchange("ACCESS_TOKEN", {"Licence": "L2"}, 200, {"access_token": "B"}))
    rec.observe(Exchange("ACCESS_TOKEN", {"licence": "L3"}, 400, {"access_token": "C"}))
    rec.observe(Exchange("ACCESS_TOKEN", {"licence": "L4"}, 200, {"error": "invalid_client"}))
    rec.observe(Exchange("ACCESS_TOKEN", {}, 200, {"access_token": "D"}))
    rec.observe(Exchange("ACCESS_TOKEN", {"licence": "L1"}, 200, {"access_token": "E"}))
    rec.observe(Exchange("OTHER", {"licence": "L5"}, 200, {"access_token": "F"}))
    assert rec.document(seed=1)["licences"] == [
        {"licence": "L1", "client_secret": "recorded-secret"},
        {"licence": "L2", "client_secret": "recorded-secret"},
    ]


def test_a_scenario_per_number_with_a_fiction_number_and_the_consent_operator() -> None:
    rec = Recorder()
    start(rec, "numVerify", CONSENT)
    poll(rec, {"status": "success", "numVerify": True})
    start(rec, "numVerify", {"status": "error", "error_id": "15", "error_type": "x"}, number=N2)
    document = rec.document(seed=1)
    first, second = document["scenarios"]
    assert first["id"] == "recorded-001"
    assert second["id"] == "recorded-002"
    assert first["description"] == "Recorded through dqe-mock proxy (numVerify)."
    assert first["operator"] == "SFR"
    assert second["operator"] == "Orange"  # no consent seen: the default
    assert first["outcome"] == {"consent": {"auto": True}}
    assert second["outcome"] == {"initiate_error": "15"}
    [number] = first["match"]["numbers"]
    assert re.fullmatch(r"\+33639988\d{3}", number)
    assert first["match"]["numbers"] != second["match"]["numbers"]
    assert document["operators"] == [{"name": "SFR"}, {"name": "Orange"}]
    assert document["description"] == "Recorded by dqe-mock proxy: 2 numbers, pseudonymised"


def test_pending_polls_after_the_first_and_a_result_error() -> None:
    rec = Recorder()
    start(rec, "formfilling", CONSENT)
    for _ in range(3):
        poll(rec, {"status": "pending"})
    poll(rec, err("21"))
    assert only_scenario(rec)["outcome"] == {"result_error": "21", "pending": {"polls": 2}}


def test_one_pending_poll_is_the_one_before_consent() -> None:
    rec = Recorder()
    start(rec, "formfilling", CONSENT)
    poll(rec, {"status": "pending"})
    poll(rec, {"status": "success", "formfilling": {}})
    assert "outcome" not in only_scenario(rec)


def test_an_error_the_request_explains_is_not_recorded() -> None:
    rec = Recorder()
    start(rec, "numVerify", err("01"), request_error="01")
    assert "outcome" not in only_scenario(rec)
    rec = Recorder()
    start(rec, "numVerify", CONSENT)
    poll(rec, err("01"), request_error="01")  # explained: the flow stays unanswered
    assert "outcome" not in only_scenario(rec)
    rec = Recorder()
    start(rec, "numVerify", err("15"), request_error="01")
    assert only_scenario(rec)["outcome"] == {"initiate_error": "15"}


def test_a_combined_scope_error_goes_to_the_parts_that_may_return_it() -> None:
    rec = Recorder()
    start(rec, "matching,formfilling", err("05"))
    assert only_scenario(rec)["outcome"] == {"initiate_error": "05"}
    assert Flow("+33639987011", "matching,formfilling", initiate_error="05").parts() == {
        "matching": {"initiate_error": "05"}
    }
    assert Flow("+33639987011", "matching,formfilling", initiate_error="16").parts() == {
        "matching": {"initiate_error": "16"},
        "formfilling": {"initiate_error": "16"},
    }
    # An id outside the catalogue goes to every part; none allowed falls back to all.
    assert Flow("x", "numVerify", initiate_error="77").parts() == {
        "numVerify": {"initiate_error": "77"}
    }
    assert Flow("x", "numVerify", initiate_error="05").parts() == {
        "numVerify": {"initiate_error": "05"}
    }
    assert Flow("x", "bogus", initiate_error="16").parts() == {}


def test_matching_notp_scores_without_consent_are_pinned() -> None:
    rec = Recorder()
    scores = {
        "status": "success",
        "family_name": "0.5",
        "given_name": 1,
        "gender": "",
        "birthdate": True,
    }
    start(rec, "matching_notp", scores)
    assert only_scenario(rec)["outcome"] == {
        "scores": {"family_name": 0.5, "given_name": 1.0, "gender": ""}
    }
    assert Flow("x", "matching_notp").parts() == {"matching_notp": {}}


def test_matching_notp_with_consent_is_retrieved_as_matching() -> None:
    rec = Recorder()
    start(rec, "matching_notp", CONSENT)
    poll(rec, {"status": "pending"})
    poll(rec, {"status": "pending"})
    poll(rec, {"status": "success", "matching": {"email": 0.25}, "numVerify": False})
    assert only_scenario(rec)["scopes"] == {
        "matching_notp": {"consent_required": True},
        "matching": {"pending": {"polls": 1}, "scores": {"email": 0.25}},
    }
    unanswered = Flow("x", "matching_notp", consent=True)
    assert unanswered.parts() == {"matching_notp": {"consent_required": True}}


def test_numverify_and_scores_stay_with_the_scopes_that_use_them() -> None:
    rec = Recorder()
    start(rec, "numVerify,matching", CONSENT)
    poll(rec, {"status": "success", "numVerify": False, "matching": {"email": 1}})
    assert only_scenario(rec)["scopes"] == {
        "numVerify": {"consent": {"auto": True}, "numverify": False},
        "matching": {"consent": {"auto": True}, "scores": {"email": 1.0}},
    }


def test_a_numverify_true_result_records_nothing_special() -> None:
    rec = Recorder()
    start(rec, "numVerify", CONSENT)
    poll(rec, {"status": "success", "numVerify": True, "matching": "no"})
    assert only_scenario(rec)["outcome"] == {"consent": {"auto": True}}


def test_scopes_of_several_flows_are_listed_once_each() -> None:
    rec = Recorder()
    start(rec, "numVerify", err("16"))
    start(rec, "formfilling", err("15"))
    start(rec, "numVerify", err("16"))
    scenario = only_scenario(rec)
    assert scenario["description"] == "Recorded through dqe-mock proxy (numVerify, formfilling)."
    assert scenario["scopes"] == {
        "numVerify": {"initiate_error": "16"},
        "formfilling": {"initiate_error": "15"},
    }


def test_polls_of_unknown_tokens_and_unknown_statuses_are_ignored() -> None:
    rec = Recorder()
    start(rec, "formfilling", CONSENT)
    poll(rec, {"status": "pending"}, token="other")
    poll(rec, {"status": "weird"})
    poll(rec, "not json")
    assert "outcome" not in only_scenario(rec)


def test_the_latest_flow_of_a_token_takes_its_polls() -> None:
    rec = Recorder()
    start(rec, "formfilling", CONSENT, number=N1)
    start(rec, "numVerify", {**CONSENT, "operator": ""}, number=N2)
    poll(rec, err("21"))
    first, second = rec.document(seed=1)["scenarios"]
    assert "outcome" not in first
    assert second["outcome"] == {"consent": {"auto": True}, "result_error": "21"}
    assert second["operator"] == "Orange"  # an empty operator name is no operator


def test_the_subscriber_of_a_formfilling_result_is_faked() -> None:
    rec = Recorder()
    start(rec, "formfilling", CONSENT)
    record = {"given_name": "Jeanne", "family_name": "Dupont", "gender": "F"}
    poll(rec, {"status": "success", "formfilling": record})
    subscriber = only_scenario(rec)["subscriber"]
    assert subscriber["gender"] == "F"
    assert subscriber["given_name"] not in ("", "Jeanne")
    assert subscriber["family_name"] not in ("", "Dupont")


def test_user_infos_are_never_used_as_fakes() -> None:
    rec = Recorder()
    start(rec, "matching", err("16"), user_infos={"lastname": "Aubertin"})
    start(rec, "matching", err("16"), user_infos="not a mapping", number=N2)
    assert "Aubertin" in rec.personal


def test_numbers_that_do_not_parse_are_counted_and_reset_forgets() -> None:
    rec = Recorder()
    start(rec, "numVerify", err("16"), number="not a number")
    start(rec, "numVerify", err("16"), number="0639987011", country=5)
    assert rec.skipped == 1
    assert rec.document(seed=1)["description"] == (
        "Recorded by dqe-mock proxy: 1 numbers, pseudonymised; "
        "1 requests without a phone number left out"
    )
    rec.observe(Exchange("ACCESS_TOKEN", {"licence": "L"}, 200, {"access_token": "A"}))
    start(rec, "numVerify", CONSENT, user_infos={"lastname": "Aubertin"})
    rec.unrecorded = 3
    rec.reset()
    assert (rec.licences, rec.numbers, rec.personal, rec.skipped, rec.unrecorded) == (
        {},
        {},
        set(),
        0,
        0,
    )
    poll(rec, err("21"))
    assert rec.numbers == {}


def test_numbers_past_the_capacity_are_counted_not_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(recorder_module, "RECORDED_CAPACITY", 1)
    rec = Recorder()
    start(rec, "numVerify", err("16"), number=N1)
    start(rec, "numVerify", err("15"), number=N2)
    start(rec, "formfilling", err("15"), number=N1)  # a known number is still recorded
    assert list(rec.numbers) == ["+33639987011"]
    assert len(rec.numbers["+33639987011"]) == 2
    assert rec.document(seed=1)["description"] == (
        "Recorded by dqe-mock proxy: 1 numbers, pseudonymised; "
        "1 requests on numbers past the 1 a recording holds left out"
    )


def test_the_latest_32_flows_of_a_number_are_kept() -> None:
    rec = Recorder()
    start(rec, "formfilling", err("15"))
    for _ in range(32):
        start(rec, "numVerify", err("16"))
    flows = rec.numbers["+33639987011"]
    assert len(flows) == 32
    assert {f.scope for f in flows} == {"numVerify"}


def test_the_oldest_flow_waiting_for_get_is_let_go(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorder_module, "MAX_OPEN_FLOWS", 2)
    rec = Recorder()
    start(rec, "formfilling", CONSENT, number=N1, token="A")
    start(rec, "formfilling", CONSENT, number=N2, token="B")
    start(rec, "formfilling", CONSENT, number=N1, token="A")  # A again: now the newest
    start(rec, "numVerify", CONSENT, number="0639987013", token="C")
    poll(rec, err("21"), token="A")
    poll(rec, err("21"), token="B")
    poll(rec, err("21"), token="C")
    results = [[f.result_error for f in flows] for flows in rec.numbers.values()]
    assert results == [[None, "21"], [None], ["21"]]


def test_render_is_the_header_then_yaml_without_anchors() -> None:
    rec = Recorder()
    rec.observe(Exchange("ACCESS_TOKEN", {"licence": "L"}, 200, {"access_token": "A"}))
    start(rec, "numVerify", CONSENT)
    poll(rec, {"status": "success"})
    start(rec, "formfilling", CONSENT, number=N2)
    poll(rec, {"status": "success"})
    text = rec.render(seed=1)
    assert text.startswith(
        "# Recorded by `dqe-mock proxy`. Phone numbers and personal data are pseudonymised;\n"
        "# client secrets are replaced by 'recorded-secret'.\nversion: 1\n"
    )
    assert "&" not in text
    assert "*" not in text
    assert yaml.safe_load(text) == rec.document(seed=1)
    assert rec.render(seed=1) == text


@pytest.mark.parametrize(
    ("raw", "pinned"),
    [
        ({"family_name": "0.5", "given_name": 1, "gender": "", "birthdate": 0, "email": 0.25},
         {"family_name": 0.5, "given_name": 1.0, "gender": "", "birthdate": 0.0, "email": 0.25}),
        ({"family_name": True, "given_name": None, "gender": "x", "birthdate": 1.5, "email": -0.1}, {}),
        ({"family_name": [1], "other": 0.5}, {}),
        ({"address": {"country": 1, "postal_code": "0.5", "street_address": "", "locality": 2, "x": 1}},
         {"address": {"country": 1.0, "postal_code": 0.5, "street_address": ""}}),
        ({"address": {"country": 2}}, {}),
        ({"address": "0.5"}, {}),
    ],
)  # fmt: skip
def test_pin_scores_keeps_documented_scores_in_0_to_1(
    raw: dict[str, Any], pinned: dict[str, Any]
) -> None:
    assert pin_scores(raw) == pinned


def test_a_national_number_is_read_in_the_country_sent() -> None:
    # DQE's `country` parameter: 0470 12 34 56 is a Belgian mobile with country BE, the same
    # line as +32 470 12 34 56 (read as French, it would be a Marseille number).
    rec = Recorder()
    start(rec, "numVerify", err("16"), number="+32470123456")
    start(rec, "numVerify", err("16"), number="0470123456", country="BE", token="B")
    assert list(rec.numbers) == ["+32470123456"]


def test_every_request_left_out_is_counted() -> None:
    rec = Recorder()
    for text in ("not a number", "", "12"):
        start(rec, "numVerify", err("16"), number=text)
    assert rec.document(seed=1)["description"] == (
        "Recorded by dqe-mock proxy: 0 numbers, pseudonymised; "
        "3 requests without a phone number left out"
    )


def test_every_request_past_the_capacity_is_counted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recorder_module, "RECORDED_CAPACITY", 1)
    rec = Recorder()
    for number in (N1, N2, "0639987013", N2):
        start(rec, "numVerify", err("16"), number=number)
    assert rec.document(seed=1)["description"] == (
        "Recorded by dqe-mock proxy: 1 numbers, pseudonymised; "
        "3 requests on numbers past the 1 a recording holds left out"
    )


def test_no_fake_is_a_name_seen_anywhere_in_the_recording() -> None:
    # docs/contract-testing.md "A validating proxy": personal data is pseudonymised; a fake of one
    # number's subscriber must not be the real name of another, from a result or from user_infos.
    rec = Recorder()
    start(rec, "matching", err("16"), number="0639987013", user_infos={"lastname": "Carpentier"})
    start(rec, "matching", err("16"), number="0639987014", user_infos={"lastname": "Delorme"})
    for number, token, family in ((N1, "A", "Aubertin"), (N2, "B", "Barbarin")):
        start(rec, "formfilling", CONSENT, number=number, token=token)
        poll(rec, {"status": "success", "formfilling": {"family_name": family}}, token=token)
    seen = {"Aubertin", "Barbarin", "Carpentier", "Delorme"}
    for seed in range(150):
        document = rec.document(seed)
        fakes = [s["subscriber"]["family_name"] for s in document["scenarios"] if "subscriber" in s]
        assert len(fakes) == 2
        assert seen.isdisjoint(fakes)


def test_a_formfilling_result_that_is_not_an_object_gives_no_subscriber() -> None:
    rec = Recorder()
    start(rec, "formfilling", CONSENT)
    poll(rec, {"status": "success", "formfilling": "Jeanne Dupont"})
    assert "subscriber" not in only_scenario(rec)


def test_render_writes_accented_fakes_as_they_are() -> None:
    # The recording is meant to be read: "Besançon", "Célestin" as such, not \xE7 escapes.
    rec = Recorder()
    for i in range(20):
        number, token = f"06399870{20 + i}", f"T{i}"
        start(rec, "formfilling", CONSENT, number=number, token=token)
        poll(rec, {"status": "success", "formfilling": {"given_name": f"g{i}", "gender": "F",
                   "address": {"locality": f"l{i}", "street_address": "s"}}}, token=token)  # fmt: skip
    text = rec.render(seed=1)
    assert re.search(r"[éèç]", text)
    assert "\\x" not in text
    assert "\\u" not in text
    assert yaml.safe_load(text) == rec.document(seed=1)


def test_an_operator_that_is_not_a_name_is_no_operator() -> None:
    # The vendor's /IDMOBILE/ answer names the operator as a string; anything else is ignored.
    rec = Recorder()
    start(rec, "numVerify", {**CONSENT, "operator": 5})
    start(rec, "numVerify", {**CONSENT, "operator": ["SFR"]}, number=N2, token="B")
    assert [s["operator"] for s in rec.document(seed=1)["scenarios"]] == ["Orange", "Orange"]


def test_a_request_without_a_scope_names_none() -> None:
    rec = Recorder()
    rec.observe(Exchange("IDMOBILE", {"number": N1, "token": "T"}, 200, err("01")))
    assert only_scenario(rec)["description"] == "Recorded through dqe-mock proxy ()."

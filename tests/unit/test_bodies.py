"""The documented response bodies (domain/bodies.py).

Oracles: the vendor pages' examples and key tables (token page: expires_in a string;
/IDMOBILE/ consent example {"status", "operator", "url"}; /GET/ pending example; formfilling
example's keys), docs/contract-notes.md ("The `""` score": "" for a field the user left
empty; "Combined scopes"; "The matching result") and hand-written records.
"""

from __future__ import annotations

from typing import Any

from mockserver.domain.bodies import (
    consent_body,
    formfilling,
    get_success,
    pending_body,
    scores,
    token_body,
)
from mockserver.domain.scenarios import Outcome
from mockserver.domain.sessions import Session

# The formfilling page's example, keys only (formfilling.txt, "Example", /GET/ success).
FORMFILLING_KEYS = {
    "phone_number", "family_name", "name", "locale", "gender", "email_domain", "updated_at",
    "birthdate", "birthplace", "given_name", "address", "email_account", "email",
    "subscriber_msisdn", "sub",
}  # fmt: skip
ADDRESS_KEYS = {"locality", "country", "number", "formatted", "postal_code", "street_address"}

RECORD = {
    "given_name": "Jean",
    "family_name": "Dupont",
    "email": "jean.dupont@example.fr",
    "gender": "M",
    "birthdate": "1980-02-29",
    "birthplace": "75",
    "updated_at": "2024-01-02",
    "locale": "fr-BE",
    "sub": "abc",
    "subscriber_msisdn": "33639980001",
    "address": {
        "number": "12",
        "street_address": "rue de la Paix",
        "postal_code": "75002",
        "locality": "Paris",
        "country": "France",
    },
}


def test_the_token_body_is_the_token_pages() -> None:
    assert token_body("TKa", "*TKb", 300) == {
        "access_token": "TKa",
        "token_type": "Bearer",
        "expires_in": "300",
        "refresh_token": "*TKb",
    }


def test_consent_and_pending_bodies_are_the_pages_examples() -> None:
    assert consent_body("Orange", "http://m/operator") == {
        "status": "success", "operator": "Orange", "url": "http://m/operator"
    }  # fmt: skip
    assert pending_body("formfilling") == {"status": "pending", "scope": "formfilling"}


def test_formfilling_reads_the_record() -> None:
    body = formfilling(RECORD, "+33639980001")
    assert set(body) == FORMFILLING_KEYS
    assert set(body["address"]) == ADDRESS_KEYS
    assert body == {
        "phone_number": "0639980001",
        "family_name": "Dupont",
        "name": "Jean Dupont",
        "locale": "fr-BE",
        "gender": "M",
        "updated_at": "2024-01-02",
        "birthdate": "1980-02-29",
        "birthplace": "75",
        "given_name": "Jean",
        "address": {
            "country": "France",
            "postal_code": "75002",
            "formatted": "12 rue de la Paix, 75002 Paris, France",
            "street_address": "rue de la Paix",
            "number": "12",
            "locality": "Paris",
        },
        "email": "jean.dupont@example.fr",
        "email_domain": "example.fr",
        "email_account": "jean.dupont",
        "subscriber_msisdn": "33639980001",
        "sub": "abc",
    }


def test_formfilling_of_an_empty_record_has_every_key_empty_but_the_line() -> None:
    body = formfilling({}, "+33639980001")
    assert set(body) == FORMFILLING_KEYS
    assert body["address"] == dict.fromkeys(ADDRESS_KEYS, "")
    assert (body["phone_number"], body["subscriber_msisdn"]) == ("0639980001", "0639980001")
    assert body["locale"] == "fr-FR"  # the example's locale
    empty = FORMFILLING_KEYS - {"phone_number", "subscriber_msisdn", "locale", "address"}
    assert {k: body[k] for k in empty} == dict.fromkeys(empty, "")


def test_formfilling_keeps_a_formatted_address_and_skips_missing_parts() -> None:
    given = formfilling({"address": {"formatted": "Somewhere", "locality": "Lyon"}}, "+33639980001")
    assert given["address"]["formatted"] == "Somewhere"
    partial = formfilling({"address": {"locality": "Lyon", "country": "France"}}, "+33639980001")
    assert partial["address"]["formatted"] == "Lyon, France"
    street = formfilling(
        {"address": {"street_address": "rue X", "postal_code": "69001"}}, "+33639980001"
    )
    assert street["address"]["formatted"] == "rue X, 69001"


def test_formfilling_names_and_emails_with_parts_missing() -> None:
    body = formfilling({"family_name": "Dupont", "email": "no-domain"}, "+33639980001")
    assert body["name"] == "Dupont"
    assert (body["email"], body["email_domain"], body["email_account"]) == ("no-domain", "", "")
    given_only = formfilling({"given_name": "Jean", "address": None}, "+33639980001")
    assert given_only["name"] == "Jean"
    assert given_only["address"]["formatted"] == ""


def test_formfilling_writes_every_value_as_text() -> None:
    body = formfilling({"sub": 42, "address": {"number": 7}}, "+33639980001")
    assert (body["sub"], body["address"]["number"]) == ("42", "7")


def test_scores_without_user_infos_are_not_compared() -> None:
    assert scores(None, RECORD, {}) == {
        "family_name": "", "gender": "", "birthdate": "", "given_name": "", "email": "",
        "address": {"country": "", "postal_code": "", "street_address": "", "locality": ""},
    }  # fmt: skip


def test_pinned_scores_win_key_by_key() -> None:
    user = {"gender": "M", "birthdate": "1980-02-29"}
    got = scores(user, RECORD, {"gender": 0.0, "address": {"locality": 0.5}})
    assert (got["gender"], got["birthdate"]) == (0.0, 1.0)
    assert got["address"] == {
        "country": "",
        "postal_code": "",
        "street_address": "",
        "locality": 0.5,
    }


PLAIN = Outcome()


def session(scope: str, outcome: Outcome = PLAIN, packed: bytes | None = None) -> Session:
    return Session(
        id="s1", token="TKa", licence="100001", scope=scope, number="+33639980001",
        operator="Orange", scenario_id="sc", outcome=outcome, subscriber=RECORD,
        created_at=0.0, code_name="CN", scores=packed,
    )  # fmt: skip


# One byte per score, in the order of docs/limits.md "State, stopping and safe methods":
# family_name, gender, birthdate, given_name, email, then the address's country, postal_code,
# street_address, locality.
PACKED = bytes([83, 100, 100, 100, 255, 100, 100, 49, 100])
MATCHING = {
    "family_name": 0.83, "gender": 1.0, "birthdate": 1.0, "given_name": 1.0, "email": "",
    "address": {"country": 1.0, "postal_code": 1.0, "street_address": 0.49, "locality": 1.0},
}  # fmt: skip


def test_get_success_of_numverify() -> None:
    assert get_success(session("numVerify")) == {
        "status": "success", "scope": "numVerify", "numVerify": True
    }  # fmt: skip
    failed = get_success(session("numVerify", Outcome(numverify=False)))
    assert failed["numVerify"] is False


def test_get_success_of_formfilling() -> None:
    body = get_success(session("formfilling"))
    assert set(body) == {"status", "scope", "code_name", "formfilling"}
    assert (body["status"], body["scope"], body["code_name"]) == ("success", "formfilling", "CN")
    assert body["formfilling"]["name"] == "Jean Dupont"


def test_get_success_of_matching_reads_the_scores_kept() -> None:
    body = get_success(session("matching", packed=PACKED))
    assert body == {
        "status": "success",
        "scope": "matching",
        "code_name": "CN",
        "matching": MATCHING,
    }


def test_get_success_of_matching_without_scores_kept_compares_nothing() -> None:
    body: dict[str, Any] = get_success(session("matching", Outcome(scores={"gender": 0.25})))
    assert body["matching"]["gender"] == 0.25
    assert body["matching"]["family_name"] == ""
    assert body["matching"]["address"]["locality"] == ""


def test_pinned_scores_apply_over_the_scores_kept() -> None:
    body = get_success(session("matching", Outcome(scores={"family_name": 0.1}), PACKED))
    assert body["matching"] == {**MATCHING, "family_name": 0.1}


def test_get_success_of_combined_scopes_carries_both_parts() -> None:
    for scope in ("matching,formfilling", "formfilling,matching"):
        body = get_success(session(scope, packed=PACKED))
        assert set(body) == {"status", "scope", "code_name", "formfilling", "matching"}
        assert body["scope"] == scope
        assert body["matching"] == MATCHING
        assert body["formfilling"]["family_name"] == "Dupont"

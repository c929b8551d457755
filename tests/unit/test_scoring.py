"""Matching scores pinned by a table a person wrote, and by properties of every scorer.

The table (tests/unit/scoring_cases.py) holds judgements ("the same person, typed
differently" or "another person / another place"), never values read back from the code.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.contract.schemas import contract
from mockserver.domain.scoring import (
    apply_pinned,
    compute_scores,
    family_score,
    pack,
    unpack,
)
from mockserver.domain.scoring_address import (
    Street,
    parse_street,
    street_score,
)
from mockserver.testing.strategies import user_infos_keys
from tests.unit.scoring_cases import OTHER, SAME, SCORERS, TABLE, slug


@pytest.mark.parametrize(
    ("kind", "typed", "held", "low", "high", "verdict", "why"),
    TABLE,
    ids=[f"{row[0]}-{slug(row[6])}" for row in TABLE],
)
def test_table(
    kind: str, typed: str, held: str, low: float, high: float, verdict: str, why: str
) -> None:
    score = SCORERS[kind](typed, held)
    assert isinstance(score, float), why
    assert low <= score <= high, f"{why}: {score}"


def test_the_table_has_sixty_cases_of_both_verdicts() -> None:
    verdicts = [row[5] for row in TABLE]
    assert len(TABLE) >= 60
    assert verdicts.count(SAME) >= 20
    assert verdicts.count(OTHER) >= 20


# --- family names: lastname and maiden_name against family_name and maiden_name ----------

FAMILY: list[tuple[tuple[str, str, str, str], float, float, str]] = [
    (("Martin", "Leroy", "Martin", "Leroy"), 1.0, 1.0, "both as recorded"),
    (("Leroy", "", "Martin", "Leroy"), 1.0, 1.0, "birth name typed as the last name"),
    (("", "Martin", "Martin", "Leroy"), 1.0, 1.0, "usage name typed as the maiden name"),
    (("Martin", "Dubois", "Martin", "Leroy"), 1.0, 1.0, "the best pair counts"),
    (("Dupond", "", "Dupont", ""), 0.8, 0.94, "a typo, no maiden name anywhere"),
    (("Bernard", "", "Martin", ""), 0.0, 0.5, "another name, no maiden name anywhere"),
    (("Bernard", "Petit", "Martin", "Leroy"), 0.0, 0.5, "neither name matches"),
    (("Martin", "", "", ""), 0.0, 0.0, "record holds no name"),
]


@pytest.mark.parametrize(("names", "low", "high", "why"), FAMILY, ids=[slug(r[3]) for r in FAMILY])
def test_family_name_combines_maiden_names(
    names: tuple[str, str, str, str], low: float, high: float, why: str
) -> None:
    score = family_score(*names)
    assert isinstance(score, float), why
    assert low <= score <= high, f"{why}: {score}"


def test_family_name_not_typed_is_not_compared() -> None:
    assert family_score("", " ", "Martin", "Leroy") == ""


def test_street_number_key_wins_over_the_number_in_the_street() -> None:
    assert street_score("10 rue de la Paix", "12", "rue de la Paix", "12") == 1.0
    assert street_score("rue de la Paix", "10 ter", "10 rue de la Paix", "") == 0.9
    assert street_score("rue de la Paix", "", "rue de la Paix", "10") == 1.0


def test_street_parts() -> None:
    assert parse_street("10 bis bd des Capucines", "") == Street(
        "10", "bis", "boulevard", "capucines"
    )
    assert parse_street("capucines", "10b") == Street("10", "bis", "", "capucines")
    assert parse_street("Grande Rue", "").kind == ""  # a type alone is the street's name
    assert parse_street("rond-point des Champs", "").kind == "rond point"
    assert parse_street("007 rue X", "").number == "7"


def test_pinned_scores_replace_computed_ones_key_by_key() -> None:
    """docs/scenarios.md: `scores` pins scores; keys left out are computed."""
    computed = compute_scores({"firstname": "Jean", "locality": "Paris"}, RECORD)
    pinned = apply_pinned(computed, {"given_name": 0.1, "address": {"postal_code": 0.2}})
    assert pinned["given_name"] == 0.1
    assert pinned["address"] == {
        "country": "",
        "postal_code": 0.2,
        "street_address": "",
        "locality": 1.0,
    }
    assert pinned["family_name"] == ""
    assert apply_pinned(computed, {}) == computed


@pytest.mark.parametrize("score", [1.01, -0.01, 0.555, "0.5", 2])
def test_pack_refuses_what_is_not_hundredths(score: Any) -> None:
    scores = compute_scores({}, RECORD)
    with pytest.raises(ValueError, match="hundredths"):
        pack({**scores, "gender": score})


def test_pack_is_one_byte_a_score_empty_as_255() -> None:
    """docs/limits.md "State, stopping and safe methods" (a session's size): one byte per score,
    "" is 255, 0.00..1.00 are 0..100."""
    scores = compute_scores({"firstname": "Jean", "lastname": "Dupont", "gender": "Mme"}, RECORD)
    # family_name, gender, birthdate, given_name, email, then the address fields
    assert pack(scores) == bytes([100, 0, 255, 100, 255, 255, 255, 255, 255])
    assert unpack(pack(scores)) == scores


@pytest.mark.parametrize("size", [4, 8, 10])
def test_unpack_refuses_a_pack_of_another_size(size: int) -> None:
    """Nine bytes, one per score: anything else is a corrupt session, not scores."""
    with pytest.raises(ValueError, match="zip"):
        unpack(bytes(size))


# --- the score object ----------------------------------------------------------------------

RECORD = {
    "given_name": "Jean",
    "family_name": "Dupont",
    "maiden_name": "Leroy",
    "gender": "M",
    "birthdate": "1985-04-12",
    "email": "jean.dupont@example.com",
    "address": {
        "number": "10",
        "street_address": "rue de la Paix",
        "postal_code": "75002",
        "locality": "Paris",
        "country": "France",
    },
}


def test_readme_example_scores() -> None:
    """The README walkthrough: last name with a d, another street, the rest as recorded."""
    user = {
        "street_address": "boulevard des Capucines",
        "number": "10",
        "postal_code": "75002",
        "locality": "Paris",
        "country": "France",
        "birthdate": "1985-04-12",
        "email": "jean.dupont@example.com",
        "lastname": "Dupond",
        "maiden_name": "",
        "gender": "M",
        "firstname": "Jean",
    }
    scores = compute_scores(user, RECORD)
    assert scores["family_name"] == pytest.approx(0.88, abs=0.06)
    assert scores["address"]["street_address"] <= 0.3
    assert {k: v for k, v in scores.items() if k not in ("family_name", "address")} == {
        "gender": 1.0,
        "birthdate": 1.0,
        "given_name": 1.0,
        "email": 1.0,
    }


def test_the_record_typed_back_scores_one_everywhere() -> None:
    address = RECORD["address"]
    assert isinstance(address, dict)
    user = {
        "lastname": "Dupont",
        "maiden_name": "Leroy",
        "firstname": "Jean",
        **{key: RECORD[key] for key in ("gender", "birthdate", "email")},
        **address,
    }
    scores = compute_scores(user, RECORD)
    assert scores.pop("address") == dict.fromkeys(
        ("country", "postal_code", "street_address", "locality"), 1.0
    )
    assert scores == dict.fromkeys(
        ("family_name", "gender", "birthdate", "given_name", "email"), 1.0
    )


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ({"lastname": "Xyzzy", "maiden_name": "Leroy"}, 1.0),  # the user's maiden name
        ({"lastname": "Leroy"}, 1.0),  # the record's maiden name
        ({"maiden_name": "Dupont"}, 1.0),  # maiden name typed as the usage name
    ],
)
def test_maiden_names_count_in_the_score_object(user: dict[str, str], expected: float) -> None:
    assert compute_scores(user, RECORD)["family_name"] == expected


def test_street_numbers_count_in_the_score_object() -> None:
    """docs/matching-scores.md: another number in the same street is 0.7."""
    user = {"street_address": "rue de la Paix", "number": "12"}
    assert compute_scores(user, RECORD)["address"]["street_address"] == 0.7
    as_json_number = {"street_address": "rue de la Paix", "number": 12}
    assert compute_scores(as_json_number, RECORD)["address"]["street_address"] == 0.7


def test_nothing_typed_is_empty_everywhere() -> None:
    scores = compute_scores({}, RECORD)
    address = scores.pop("address")
    assert scores == dict.fromkeys(
        ("family_name", "gender", "birthdate", "given_name", "email"), ""
    )
    assert address == dict.fromkeys(("country", "postal_code", "street_address", "locality"), "")


# --- properties ----------------------------------------------------------------------------

FRENCH = "abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüÿæœ' -.0123456789@/"
values = st.text(alphabet=FRENCH + FRENCH.upper(), max_size=24)
samples = st.sampled_from([row[1] for row in TABLE] + [row[2] for row in TABLE])
any_value = st.one_of(values, samples)
KINDS = sorted(SCORERS)


def typed_something(kind: str, value: str) -> bool:
    """Whether the user typed anything: "" is the docs' "not compared" otherwise."""
    return SCORERS[kind](value, "x") != ""


@pytest.mark.parametrize("kind", KINDS)
@given(any_value)
def test_identity_scores_one(kind: str, value: str) -> None:
    assert SCORERS[kind](value, value) == (1.0 if typed_something(kind, value) else "")


@pytest.mark.parametrize("kind", KINDS)
@given(any_value)
def test_value_against_nothing_scores_zero(kind: str, value: str) -> None:
    expected = 0.0 if typed_something(kind, value) else ""
    assert SCORERS[kind](value, "") == expected
    assert SCORERS[kind]("", value) == ""


@pytest.mark.parametrize("kind", KINDS)
@given(any_value, any_value)
def test_bounded_two_decimals(kind: str, typed: str, held: str) -> None:
    score = SCORERS[kind](typed, held)
    assert score == "" or (0.0 <= score <= 1.0 and round(score * 100) / 100 == score)


@pytest.mark.parametrize("kind", KINDS)
@given(any_value, any_value)
def test_symmetric(kind: str, left: str, right: str) -> None:
    if typed_something(kind, left) and typed_something(kind, right):
        assert SCORERS[kind](left, right) == SCORERS[kind](right, left)


@pytest.mark.parametrize("kind", KINDS)
@given(any_value, any_value)
def test_invariant_to_form_case_and_surrounding_space(kind: str, typed: str, held: str) -> None:
    disguised = "  " + unicodedata.normalize("NFD", typed).upper() + "\t"
    assert SCORERS[kind](disguised, held) == SCORERS[kind](typed, held)


user_keys = st.sampled_from(user_infos_keys())


@given(st.dictionaries(user_keys, any_value), st.dictionaries(user_keys, any_value))
def test_score_object_packs_and_matches_the_schema(
    user: dict[str, str], other: dict[str, str]
) -> None:
    record = {
        "family_name": other.get("lastname", ""),
        "maiden_name": other.get("maiden_name", ""),
        "given_name": other.get("firstname", ""),
        **{k: other.get(k, "") for k in ("gender", "birthdate", "email")},
        "address": {k: other.get(k, "") for k in ("street_address", "number", "postal_code")},
    }
    scores = compute_scores(user, record)
    assert contract().validate_response("matching_notp", scores) == []
    assert unpack(pack(scores)) == scores

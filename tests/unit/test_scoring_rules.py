"""Which rule produced each score (the `explain_*` scorers behind `dqe-mock score`).

One row per rule of docs/matching-scores.md: the values, the score that rule gives (its
documented constant, or the worked table's figure) and the rule's label as the user reads it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mockserver.domain.folding import Explained
from mockserver.domain.scoring import (
    apply_pinned,
    compute_scores,
    explain_birthdate,
    explain_country,
    explain_email,
    explain_family,
    explain_gender,
    explain_name,
    explain_pinned,
    explain_scores,
    scores_of,
)
from mockserver.domain.scoring_address import (
    explain_locality,
    explain_postal_code,
    explain_street,
)
from tests.unit.scoring_cases import slug


def street(typed: str, held: str) -> Explained:
    return explain_street(typed, "", held, "")


EXPLAIN: dict[str, Callable[[str, str], Explained]] = {
    "name": explain_name,
    "street": street,
    "locality": explain_locality,
    "postal": explain_postal_code,
    "country": explain_country,
    "email": explain_email,
    "birthdate": explain_birthdate,
    "gender": explain_gender,
}

NOT_TYPED = "not typed: not compared"
NOTHING = "the record holds nothing"
FUZZY_NAME = "fuzzy: mean of Jaro-Winkler and Indel ratio, at most 0.94"

# (kind, typed, held, score, rule)
# fmt: off
RULES: list[tuple[str, str, str, Any, str]] = [
    ("name", "Lætitia", "Laetitia", 1.0, "equal once folded (case, accents, ligatures, hyphens, spaces)"),
    ("name", "de La Fontaine", "Lafontaine", 0.95, "particle dropped or glued"),
    ("name", "Martin Dupont", "Dupont Martin", 0.95, "same words in another order"),
    ("name", "Jean", "Jean-Pierre", 0.85, "part of a compound name"),
    ("name", "Jean P.", "Jean Pierre", 0.7, "names and initials"),
    ("name", "J.-P.", "Jean-Pierre", 0.6, "initials only"),
    ("name", "Dupond", "Dupont", 0.88, FUZZY_NAME),
    ("name", " ", "Dupont", "", NOT_TYPED),
    ("name", "Dupont", "", 0.0, NOTHING),
    ("street", "bd des Capucines", "boulevard des Capucines", 1.0, "same street name"),
    ("street", "rue de la Paix", "rue de la Pompe", 0.22, "street names: Indel ratio"),
    ("street", "avenue Foch", "rue Foch", 0.8, "same street name; x 0.8, another type of road"),
    ("street", "12 rue de la Paix", "10 rue de la Paix", 0.7, "same street name; x 0.7, another number"),
    ("street", "10 rue de la Paix", "10 rue de la Paix", 1.0, "same street name; same number"),
    ("street", "10 bis rue de la Paix", "10 rue de la Paix", 0.9, "same street name; x 0.9, same number, another index (bis, ter...)"),
    ("street", "", "rue de la Paix", "", NOT_TYPED),
    ("street", "rue de la Paix", "", 0.0, NOTHING),
    ("locality", "St-Étienne", "Saint Etienne", 1.0, "same city (CEDEX, saint/st, hyphens aside)"),
    ("locality", "Paris 2e Arrondissement", "Paris", 0.9, "same city, one side names no arrondissement"),
    ("locality", "Paris", "Paris 2e", 0.9, "same city, one side names no arrondissement"),
    ("locality", "Marseille 8e", "Marseille 2e", 0.5, "same city, another arrondissement"),
    ("locality", "Saint-Denis", "Saint-Dizier", 0.36, "other names: Indel ratio after shared leading words"),
    ("locality", "", "Paris", "", NOT_TYPED),
    ("locality", "Paris", "", 0.0, NOTHING),
    ("postal", "75 002", "75002", 1.0, "same code"),
    ("postal", "69100", "69002", 0.3, "another code of the same department"),
    ("postal", "75020", "75002", 0.0, "another arrondissement of the same city"),
    ("postal", "75002", "13002", 0.0, "another department"),
    ("postal", "2A004", "2A090", 0.0, "another code, not two French codes"),
    ("postal", "", "75002", "", NOT_TYPED),
    ("postal", "75002", "", 0.0, NOTHING),
    ("country", "france", "France", 1.0, "equal once folded"),
    ("country", "FR", "France", 1.0, "same ISO 3166 country"),
    ("country", "France", "Belgique", 0.0, "another ISO 3166 country"),
    ("country", "Frnace", "France", 0.83, "not a country: Indel ratio with its names, at most 0.9"),
    ("country", "", "France", "", NOT_TYPED),
    ("country", "FR", "", 0.0, NOTHING),
    ("email", "jean.dupont@gmail.com", "jeandupont@gmail.com", 1.0, "Gmail: dots and +tag ignored; same local part"),
    ("email", "Jean.Dupont@example.com", "jean.dupont@example.com", 1.0, "same local part"),
    ("email", "jean.dupont@example.com", "jeandupont@example.com", 0.9, "local parts equal but for . - _"),
    ("email", "jean.dupomt@example.com", "jean.dupont@example.com", 0.73, "local parts: 0.8 x Indel ratio"),
    ("email", "jean.dupont@orange.fr", "jean.dupont@gmail.com", 0.7, "same local part; x 0.7, another domain"),
    # 0.8 x (1 - 2/22) x 0.7 = 0.509
    ("email", "jean.dupomt@orange.fr", "jean.dupont@example.com", 0.51, "local parts: 0.8 x Indel ratio; x 0.7, another domain"),
    ("email", " ", "jean.dupont@gmail.com", "", NOT_TYPED),
    ("email", "jean.dupont@gmail.com", " ", 0.0, NOTHING),
    ("birthdate", "12/04/1985", "1985-04-12", 1.0, "same date"),
    ("birthdate", "1985-12-04", "1985-04-12", 0.8, "day and month swapped"),
    ("birthdate", "1985-04-13", "1985-04-12", 0.7, "one digit wrong"),
    ("birthdate", "1958-04-12", "1985-04-12", 0.5, "same day and month, another year"),
    ("birthdate", "0985-04-12", "1985-04-12", 0.7, "one digit wrong"),  # a year before 1000 (was a crash)
    ("birthdate", "1990-07-30", "1985-04-12", 0.0, "another date"),
    ("birthdate", "sometime", "1985-04-12", 0.0, "not a date: equal text or nothing"),
    ("birthdate", "sometime", "Sometime", 1.0, "not a date: equal text or nothing"),
    ("birthdate", "", "1985-04-12", "", NOT_TYPED),
    ("gender", "Mme", "F", 1.0, "same gender (M/F or civility)"),
    ("gender", "Mme", "M", 0.0, "another gender, or none"),
    ("gender", "", "M", "", NOT_TYPED),
]
# fmt: on


@pytest.mark.parametrize(
    ("kind", "typed", "held", "score", "rule"),
    RULES,
    ids=[f"{row[0]}-{slug(row[4])}-{i}" for i, row in enumerate(RULES)],
)
def test_each_rule_names_itself(kind: str, typed: str, held: str, score: Any, rule: str) -> None:
    """A compared value comes back with both values; "not typed" and "nothing held" with none."""
    compared = ("", "") if rule in (NOT_TYPED, NOTHING) else (typed, held)
    assert EXPLAIN[kind](typed, held) == Explained(score, rule, *compared)


def test_the_values_compared_come_with_the_rule() -> None:
    assert explain_name("Dupond", "Dupont")[2:] == ("Dupond", "Dupont")
    assert explain_street("rue de la Paix", "12", "rue de la Pompe", "10")[2:] == (
        "12 rue de la Paix",
        "10 rue de la Pompe",
    )


FAMILY: list[tuple[tuple[str, str, str, str], Explained]] = [
    (
        ("Dupond", "", "Dupont", "Leroy"),
        Explained(0.88, FUZZY_NAME, "Dupond", "Dupont"),
    ),
    (
        ("Leroy", "", "Martin", "Leroy"),
        Explained(
            1.0,
            "equal once folded (case, accents, ligatures, hyphens, spaces); "
            "user's lastname vs record's maiden_name",
            "Leroy",
            "Leroy",
        ),
    ),
    (
        ("Xyz", "Martin", "Martin", "Leroy"),
        Explained(
            1.0,
            "equal once folded (case, accents, ligatures, hyphens, spaces); "
            "user's maiden_name vs record's family_name",
            "Martin",
            "Martin",
        ),
    ),
    # the first best pair counts: lastname vs family_name before maiden_name vs family_name
    (
        ("Martin", "Martin", "Martin", ""),
        Explained(
            1.0,
            "equal once folded (case, accents, ligatures, hyphens, spaces)",
            "Martin",
            "Martin",
        ),
    ),
    (("", " ", "Martin", "Leroy"), Explained("", NOT_TYPED)),
    (("Martin", "", "", ""), Explained(0.0, NOTHING)),
]


@pytest.mark.parametrize(
    ("names", "expected"), FAMILY, ids=["typo", "maiden", "swap", "tie", "no", "none"]
)
def test_family_names_the_pair_that_counts(
    names: tuple[str, str, str, str], expected: Explained
) -> None:
    assert explain_family(*names) == expected


def test_explained_scores_are_the_score_object() -> None:
    user = {"lastname": "Dupond", "firstname": "Jean", "postal_code": "75020"}
    record = {"family_name": "Dupont", "given_name": "Jean", "address": {"postal_code": "75002"}}
    explained = explain_scores(user, record)
    assert explained["given_name"].rule.startswith("equal once folded")
    assert explained["address"]["postal_code"] == Explained(
        0.0, "another arrondissement of the same city", "75020", "75002"
    )
    assert scores_of(explained) == {
        "family_name": 0.88,
        "gender": "",
        "birthdate": "",
        "given_name": 1.0,
        "address": {"country": "", "postal_code": 0.0, "street_address": "", "locality": ""},
        "email": "",
    }
    assert compute_scores(user, record) == scores_of(explained)


def test_pinned_scores_explain_themselves() -> None:
    pinned = explain_pinned({"gender": 0.2, "address": {"locality": 0.1}}, "pinned")
    assert pinned == {
        "gender": Explained(0.2, "pinned"),
        "address": {"locality": Explained(0.1, "pinned")},
    }
    overlaid = apply_pinned(explain_scores({"gender": "M"}, {"gender": "M"}), pinned)
    assert overlaid["gender"] == Explained(0.2, "pinned")
    assert overlaid["address"]["locality"] == Explained(0.1, "pinned")
    assert overlaid["address"]["country"] == Explained("", NOT_TYPED)

"""The hand-written table of matching cases: "same person, typed differently" or "another".

Shared by tests/unit/test_scoring.py (each row's score must fall in its range) and
scripts/score_chart.py (the picture of how scores fall in docs/matching-scores.md). The expected
values are judgements written from the rules docs/matching-scores.md states and from the cases of
issue 13, never read back from the code. A range says "any value here is sensible"; a single value
is a rule's documented constant.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from mockserver.domain.scoring import (
    birthdate_score,
    country_score,
    email_score,
    gender_score,
    name_score,
)
from mockserver.domain.scoring_address import (
    locality_score,
    postal_code_score,
    street_score,
)

Scorer = Callable[[str, str], Any]


def street(typed: str, held: str) -> Any:
    """street_score with the numbers written inside the street, as a one-line form sends it."""
    return street_score(typed, "", held, "")


SCORERS: dict[str, Scorer] = {
    "name": name_score,
    "street": street,
    "locality": locality_score,
    "postal": postal_code_score,
    "country": country_score,
    "email": email_score,
    "birthdate": birthdate_score,
    "gender": gender_score,
}

SAME, OTHER = "same", "other"


def slug(text: str) -> str:
    """A plain test id (mutmut passes ids back to pytest on its command line)."""
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


# (kind, user typed, operator's record, lowest, highest, verdict, why)
# fmt: off
TABLE: list[tuple[str, str, str, float, float, str, str]] = [
    # --- the rows of issue 13 ("score today" in brackets) ---
    ("street", "bd des Capucines", "boulevard des Capucines", 1.0, 1.0, SAME, "BD is AFNOR's boulevard (0.82)"),
    ("street", "rue de la Paix", "rue de la Pompe", 0.0, 0.3, OTHER, "another street of the same type (0.76)"),
    ("name", "Lætitia", "Laetitia", 1.0, 1.0, SAME, "æ is ae (0.80)"),
    ("name", "Œuvre", "Oeuvre", 1.0, 1.0, SAME, "œ is oe (0.73)"),
    ("name", "de La Fontaine", "Lafontaine", 0.9, 0.97, SAME, "particles glued, one dropped (0.83)"),
    ("name", "Fontaine", "de La Fontaine", 0.9, 0.97, SAME, "particles left out (0.73)"),
    ("email", "jean.dupont@gmail.com", "jeandupont@gmail.com", 1.0, 1.0, SAME, "Gmail ignores dots (0.0)"),
    ("birthdate", "1985-12-04", "1985-04-12", 0.8, 0.8, SAME, "day and month swapped (0.0)"),
    ("country", "FR", "France", 1.0, 1.0, SAME, "ISO 3166 alpha-2 (0.50)"),
    ("locality", "Paris 2e Arrondissement", "Paris", 0.9, 0.9, SAME, "record says no arrondissement (0.36)"),
    ("postal", "75020", "75002", 0.0, 0.0, OTHER, "another arrondissement of Paris (0.80)"),
    # --- names: same person, typed differently ---
    ("name", "DUPONT", "Dupont", 1.0, 1.0, SAME, "case"),
    ("name", "Hélène", "Helene", 1.0, 1.0, SAME, "accents"),
    ("name", "Jean-Pierre", "Jean Pierre", 1.0, 1.0, SAME, "hyphen or space"),
    ("name", "D'Artagnan", "dArtagnan", 1.0, 1.0, SAME, "apostrophe"),
    ("name", "Du Pont", "Dupont", 1.0, 1.0, SAME, "particle glued or apart"),
    ("name", "Van der Berg", "Berg", 0.95, 0.95, SAME, "Dutch particles dropped"),
    ("name", "Le Goff", "Goff", 0.95, 0.95, SAME, "Breton particle dropped"),
    ("name", "Martin Dupont", "Dupont Martin", 0.95, 0.95, SAME, "double name reordered"),
    ("name", "Jean", "Jean-Pierre", 0.85, 0.85, SAME, "first part of a compound given name"),
    ("name", "Dupont", "Dupont-Martin", 0.85, 0.85, SAME, "one part of a double family name"),
    ("name", "Marie Marie", "Marie", 0.85, 0.85, SAME, "a word repeated"),
    ("name", "de Bourbon Parme", "Parme Bourbon", 0.95, 0.95, SAME, "particle dropped and reordered"),
    ("name", "Jean P.", "Jean Pierre", 0.7, 0.7, SAME, "second name as an initial"),
    ("name", "J.-P.", "Jean-Pierre", 0.6, 0.6, SAME, "initials only"),
    ("name", "Dupond", "Dupont", 0.8, 0.94, SAME, "one-letter typo at the end"),
    ("name", "Piere", "Pierre", 0.94, 0.94, SAME, "a letter left out: (JW 0.967 + Indel 10/11) / 2"),
    ("name", "Letitia", "Laetitia", 0.85, 0.94, SAME, "ae typed as e"),
    ("name", "Tomas", "Thomas", 0.85, 0.94, SAME, "silent h left out"),
    ("name", "Francois", "François", 1.0, 1.0, SAME, "cedilla"),
    ("name", "  marie  ", "Marie", 1.0, 1.0, SAME, "surrounding spaces"),
    # --- names: another person ---
    ("name", "Martin", "Bernard", 0.0, 0.5, OTHER, "unrelated family names"),
    ("name", "Dubois", "Duval", 0.0, 0.6, OTHER, "same first letters only"),
    ("name", "Pierre", "Paul", 0.0, 0.5, OTHER, "unrelated given names"),
    ("name", "Dupont", "Durand", 0.0, 0.65, OTHER, "different family, shared prefix"),
    ("name", "J.", "Marie", 0.0, 0.3, OTHER, "initial of another name"),
    ("name", "Le", "La", 0.0, 0.8, OTHER, "two particles alone are two names"),
    ("name", "De La", "La", 0.95, 0.95, SAME, "a name of particles, one dropped"),
    ("name", "Jean Paul", "Pierre", 0.0, 0.5, OTHER, "two given names against another one"),
    ("name", "Jean Paul", "Jean Pierre", 0.6, 0.84, OTHER, "another compound with the same first part"),
    # --- street: same place ---
    ("street", "10 bd des Capucines", "10 boulevard des Capucines", 1.0, 1.0, SAME, "number and abbreviation"),
    ("street", "10 bis rue de la Paix", "10B rue de la Paix", 1.0, 1.0, SAME, "B is BIS (La Poste)"),
    ("street", "av. Foch", "Avenue Foch", 1.0, 1.0, SAME, "AV is avenue"),
    ("street", "r de Rivoli", "Rue de Rivoli", 1.0, 1.0, SAME, "R, informal rue"),
    ("street", "pl Bellecour", "place Bellecour", 1.0, 1.0, SAME, "PL is place"),
    ("street", "imp des Lilas", "impasse des Lilas", 1.0, 1.0, SAME, "IMP is impasse"),
    ("street", "chem du Moulin", "chemin du Moulin", 1.0, 1.0, SAME, "CHEM, informal chemin"),
    ("street", "fg Saint-Honoré", "rue du Faubourg Saint-Honoré", 0.0, 0.9, SAME, "faubourg as a type vs part of a name: unsure"),
    ("street", "rte de Lyon", "route de Lyon", 1.0, 1.0, SAME, "RTE is route"),
    ("street", "sq Louvois", "square Louvois", 1.0, 1.0, SAME, "SQ is square"),
    ("street", "qu du Port", "quai du Port", 1.0, 1.0, SAME, "QU, informal quai"),
    ("street", "all des Pins", "allée des Pins", 1.0, 1.0, SAME, "ALL is allée"),
    ("street", "rue du Gal Leclerc", "rue du Général Leclerc", 1.0, 1.0, SAME, "GAL is général"),
    ("street", "La Canebière", "la canebiere", 1.0, 1.0, SAME, "a street with no type"),
    ("street", "rue Mont Martre", "rue Montmartre", 1.0, 1.0, SAME, "a space inside the name"),
    ("street", "1b rue de la Paix", "1 bis rue de la Paix", 1.0, 1.0, SAME, "one digit, glued index"),
    ("street", "10A rue de la Paix", "10D rue de la Paix", 0.9, 0.9, OTHER, "letters A and D: two buildings at number 10"),
    ("street", "rue de la Paiz", "rue de la Paix", 0.7, 0.9, SAME, "typo in the name"),
    # --- street: another place ---
    ("street", "boulevard des Capucines", "rue de la Paix", 0.0, 0.3, OTHER, "another street altogether"),
    ("street", "avenue Foch", "rue Foch", 0.7, 0.85, OTHER, "same name, another type of road"),
    ("street", "12 rue de la Paix", "10 rue de la Paix", 0.6, 0.75, OTHER, "same street, another building"),
    ("street", "10 bis rue de la Paix", "10 rue de la Paix", 0.85, 0.95, SAME, "index left out or added"),
    # --- locality ---
    ("locality", "PARIS", "Paris", 1.0, 1.0, SAME, "case"),
    ("locality", "St-Étienne", "Saint Etienne", 1.0, 1.0, SAME, "ST is saint, hyphen"),
    ("locality", "Paris Cedex 08", "Paris", 1.0, 1.0, SAME, "CEDEX and its number"),
    ("locality", "Lyon 3e", "Lyon 3ème arrondissement", 1.0, 1.0, SAME, "the same arrondissement"),
    ("locality", "Marseille 8e", "Marseille 2e", 0.5, 0.5, OTHER, "another arrondissement"),
    ("locality", "Bordeau", "Bordeaux", 0.93, 0.93, SAME, "typo: Indel 14/15"),
    ("locality", "Saint-Denis", "Saint-Dizier", 0.36, 0.36, OTHER, "two towns sharing 'Saint': Indel denis/dizier 4/11"),
    ("locality", "Lyon", "Marseille", 0.0, 0.3, OTHER, "another city"),
    ("locality", "Villeneuve", "Villeneuve-d'Ascq", 0.5, 0.85, OTHER, "the first word of another town"),
    ("locality", "Villeneuve-d'Ascq", "Villeneuve", 0.5, 0.85, OTHER, "the other way round"),
    # --- postal code ---
    ("postal", "75 002", "75002", 1.0, 1.0, SAME, "space inside"),
    ("postal", "69002", "69003", 0.0, 0.0, OTHER, "another arrondissement of Lyon"),
    ("postal", "13008", "13016", 0.0, 0.0, OTHER, "another arrondissement of Marseille"),
    ("postal", "69100", "69002", 0.3, 0.3, OTHER, "Villeurbanne vs Lyon 2e: same department"),
    ("postal", "33000", "33800", 0.3, 0.3, OTHER, "two codes of the Gironde"),
    ("postal", "97110", "97200", 0.0, 0.0, OTHER, "Guadeloupe vs Martinique: 971 vs 972"),
    ("postal", "75002", "13002", 0.0, 0.0, OTHER, "another department"),
    ("postal", "750021", "75002", 0.0, 0.0, OTHER, "six digits: no French code, exact only"),
    ("postal", "97100", "97110", 0.3, 0.3, OTHER, "two codes of Guadeloupe (971)"),
    ("postal", "98714", "98735", 0.3, 0.3, OTHER, "two codes of French Polynesia (987)"),
    ("postal", "98714", "98800", 0.0, 0.0, OTHER, "French Polynesia vs New Caledonia"),
    ("postal", "2A004", "2A090", 0.0, 0.0, OTHER, "not 5 digits: exact only"),
    # --- country ---
    ("country", "fra", "FR", 1.0, 1.0, SAME, "alpha-3 and alpha-2"),
    ("country", "Allemagne", "Germany", 1.0, 1.0, SAME, "French and English names"),
    ("country", "Royaume-Uni", "GB", 1.0, 1.0, SAME, "French name and code"),
    ("country", "250", "France", 1.0, 1.0, SAME, "ISO 3166 numeric code"),
    ("country", "Frnace", "France", 0.83, 0.83, SAME, "typo, not a country: Indel 1 - 2/12"),
    ("country", "France", "Belgique", 0.0, 0.0, OTHER, "another country"),
    ("country", "Espagne", "ES", 1.0, 1.0, SAME, "French name, alpha-2"),
    ("country", "Espagme", "Espagne", 0.86, 0.86, SAME, "typo: Indel 1 - 2/14"),
    ("country", "Germony", "France", 0.0, 0.5, OTHER, "a typo of another country"),
    # --- email ---
    ("email", "Jean.Dupont@Example.COM", "jean.dupont@example.com", 1.0, 1.0, SAME, "case"),
    ("email", "jeandupont+shop@googlemail.com", "jean.dupont@gmail.com", 1.0, 1.0, SAME, "Gmail +tag and googlemail"),
    ("email", "jean.dupont@example.com", "jeandupont@example.com", 0.9, 0.9, SAME, "dots count outside Gmail"),
    ("email", "jeandupont@example.com", "jean.dupont@example.com", 0.9, 0.9, SAME, "dot left out"),
    ("email", "jean.dupont", "jean.dupont@", 1.0, 1.0, SAME, "no domain on either side"),
    ("email", "jean.dupont@orange.fr", "jean.dupont@gmail.com", 0.7, 0.7, SAME, "same local part, another provider"),
    ("email", "jean.dupomt@example.com", "jean.dupont@example.com", 0.73, 0.73, SAME, "typo: 0.8 x (1 - 2/22)"),
    ("email", "marie.curie@example.com", "jean.dupont@example.com", 0.0, 0.4, OTHER, "another person"),
    ("email", "jean.dupont", "jean.dupont@example.com", 0.7, 0.7, SAME, "domain left out"),
    # --- birthdate ---
    ("birthdate", "1985-04-12", "1985-04-12", 1.0, 1.0, SAME, "equal"),
    ("birthdate", "12/04/1985", "1985-04-12", 1.0, 1.0, SAME, "French DD/MM/YYYY"),
    ("birthdate", "1985-04-13", "1985-04-12", 0.7, 0.7, SAME, "one digit wrong"),
    ("birthdate", "1958-04-12", "1985-04-12", 0.5, 0.5, SAME, "year digits swapped"),
    ("birthdate", "1986-04-12", "1985-04-12", 0.7, 0.7, SAME, "one digit: best rule wins over other year"),
    ("birthdate", "1990-07-30", "1985-04-12", 0.0, 0.0, OTHER, "another date"),
    ("birthdate", "1990-07-04", "1985-04-12", 0.0, 0.0, OTHER, "only the day is the record's month"),
    ("birthdate", "sometime", "1985-04-12", 0.0, 0.0, OTHER, "not a date"),
    # --- gender ---
    ("gender", "M.", "M", 1.0, 1.0, SAME, "civility Monsieur"),
    ("gender", "Mme", "F", 1.0, 1.0, SAME, "civility Madame"),
    ("gender", "Mlle", "F", 1.0, 1.0, SAME, "civility Mademoiselle"),
    ("gender", "f", "F", 1.0, 1.0, SAME, "case"),
    ("gender", "Mme", "M", 0.0, 0.0, OTHER, "the other gender"),
    ("gender", "X", "M", 0.0, 0.0, OTHER, "not a gender"),
]
# fmt: on

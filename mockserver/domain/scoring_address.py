"""Address scorers: street (with its number), locality and postal code, French rules.

Each scorer takes what the user typed and what the operator's record holds and returns a
similarity in 0..1 (two decimals), or "" when the user typed nothing (docs/matching-scores.md
"Matching scores"); each `explain_*` function returns it with the rule that produced it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from rapidfuzz import fuzz

from mockserver.domain.folding import (
    NOT_TYPED,
    NOTHING_HELD,
    Explained,
    Score,
    compact,
    fold,
    hundredths,
)

# Street: another type of road ("rue" vs "avenue") or another number in the same street keeps
# the name's similarity but lowers it; another index of the same number (10 vs 10 bis) less so.
OTHER_TYPE = 0.8
OTHER_NUMBER = 0.7
OTHER_INDEX = 0.9
# Locality: the same city, one side naming an arrondissement the other does not.
ARRONDISSEMENT_UNSAID = 0.9
OTHER_ARRONDISSEMENT = 0.5
# Postal code: another code of the same department (never of the same arrondissement city).
SAME_DEPARTMENT = 0.3

# Postal codes of the arrondissements of Paris (75001-75020, 75116), Lyon (69001-69009) and
# Marseille (13001-13016): La Poste's codes, one per arrondissement.
ARRONDISSEMENT_CODES = {
    "paris": frozenset({f"750{n:02d}" for n in range(1, 21)} | {"75116"}),
    "lyon": frozenset(f"6900{n}" for n in range(1, 10)),
    "marseille": frozenset(f"130{n:02d}" for n in range(1, 17)),
}
_ARRONDISSEMENT = re.compile(
    r"(?P<city>paris|lyon|marseille) (?P<n>\d{1,2}) ?(?:er|e|eme|ieme|em)?(?: arr(?:ondissement)?)?"
)
_CEDEX = re.compile(r"\bcedex(?: \d+)?\b")
_NUMBER = re.compile(r"(?P<n>\d+) ?(?P<index>[a-z]+)?")


@dataclass(frozen=True)
class StreetData:
    """The street-types data file (mockserver/domain/data/street_types.json), folded."""

    types: dict[str, str]  # every spelling (full name, AFNOR, informal) -> the full name
    indices: dict[str, str]  # bis, b, ter, t... -> bis, ter...
    words: dict[str, str]  # st -> saint, gal -> general...
    articles: frozenset[str]


@cache
def street_data() -> StreetData:
    """The street-types data file, read once; its sources are named inside it."""
    path = resources.files("mockserver.domain").joinpath("data/street_types.json")
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    types = {
        spelling: name
        for name, entry in raw["types"].items()
        for spelling in (name, entry["afnor"], *entry["informal"])
    }
    return StreetData(
        types=types,
        indices=_spellings(raw["repetition"]),
        words=_spellings(raw["words"]),
        articles=frozenset(raw["articles"]),
    )


def _spellings(table: dict[str, list[str]]) -> dict[str, str]:
    return {spelling: full for full, short in table.items() for spelling in (full, *short)}


@dataclass(frozen=True)
class Street:
    """A street address split as La Poste writes it: number, index, type, name."""

    number: str
    index: str
    kind: str
    name: str


def parse_street(street: str, number: str) -> Street:
    """Split ("10 bis bd des Capucines", "") into ("10", "bis", "boulevard", "capucines").

    `number` is user_infos' (or the record's) separate street number; when given it wins
    over a number written at the start of `street`. Articles (de, la, des...) leave the name;
    title words are spelled out (st -> saint).
    """
    data = street_data()
    tokens = fold(street).split()
    head = _leading_number(tokens, data)
    own = _number_of(fold(number), data)
    num, index = own if own[0] else head
    kind = ""
    for size in (2, 1):  # "grande rue", "rond point" before "rue"; a type alone is a name
        phrase = " ".join(tokens[:size])
        if len(tokens) > size and phrase in data.types:
            kind, tokens = data.types[phrase], tokens[size:]
            break
    words = [data.words.get(t, t) for t in tokens if t not in data.articles]
    return Street(num, index, kind, "".join(words))


def _number_of(text: str, data: StreetData) -> tuple[str, str]:
    match = _NUMBER.fullmatch(text)
    if match is None:
        return "", ""
    index = match["index"] or ""
    return match["n"].lstrip("0"), data.indices.get(index, index)


def _leading_number(tokens: list[str], data: StreetData) -> tuple[str, str]:
    """Consume the number (and its index) that starts `tokens`, in place."""
    if not tokens or not tokens[0][:1].isdigit():
        return "", ""
    found = _number_of(tokens.pop(0), data)
    if tokens and tokens[0] in data.indices:
        found = (found[0], data.indices[tokens.pop(0)])
    return found


def street_score(typed: str, typed_number: str, held: str, held_number: str) -> Score:
    """explain_street's score."""
    return explain_street(typed, typed_number, held, held_number).score


def explain_street(typed: str, typed_number: str, held: str, held_number: str) -> Explained:
    """Street similarity: the names compared apart from the type, then type and number.

    score = ratio(names) x type factor x number factor, where ratio is rapidfuzz's
    normalised Indel similarity of the names without articles or spaces; the type factor
    is OTHER_TYPE when both sides name a different type (abbreviations of the AFNOR NF Z
    10-011 list are the same type), else 1; the number factor is OTHER_NUMBER for another
    number, OTHER_INDEX for the same number with another index (10 / 10 bis), else 1 (also
    when a side has no number). "" when `typed` is empty, 0.0 when `held` is.
    """
    if not fold(typed):
        return NOT_TYPED
    if not fold(held):
        return NOTHING_HELD
    mine, theirs = parse_street(typed, typed_number), parse_street(held, held_number)
    names = fuzz.ratio(mine.name, theirs.name) / 100.0
    rules = ["same street name" if names == 1.0 else "street names: Indel ratio"]
    kind = 1.0
    if mine.kind and theirs.kind and mine.kind != theirs.kind:
        kind = OTHER_TYPE
        rules.append("x 0.8, another type of road")
    number, rule = _number_factor(mine, theirs)
    if rule:
        rules.append(rule)
    shown = (
        " ".join(t for t in (typed_number, typed) if t),
        " ".join(h for h in (held_number, held) if h),
    )
    return Explained(hundredths(names * kind * number), "; ".join(rules), *shown)


def _number_factor(mine: Street, theirs: Street) -> tuple[float, str]:
    if not mine.number or not theirs.number:
        return 1.0, ""
    if mine.number != theirs.number:
        return OTHER_NUMBER, "x 0.7, another number"
    if mine.index == theirs.index:
        return 1.0, "same number"
    return OTHER_INDEX, "x 0.9, same number, another index (bis, ter...)"


def parse_locality(locality: str) -> tuple[str, int | None]:
    """("paris", 2) for "Paris 2e Arrondissement"; CEDEX and its number dropped, st -> saint.

    Hyphens and spaces are the same ("Saint-Denis" = "saint denis").
    """
    words = street_data().words
    text = " ".join(words.get(t, t) for t in _CEDEX.sub(" ", fold(locality)).split())
    match = _ARRONDISSEMENT.fullmatch(text)
    if match is None:
        return text, None
    return match["city"], int(match["n"])


def locality_score(typed: str, held: str) -> Score:
    """explain_locality's score."""
    return explain_locality(typed, held).score


def explain_locality(typed: str, held: str) -> Explained:
    """Locality similarity: the same city is 1.0, its arrondissements apart.

    Same city name: 1.0 with the same (or no) arrondissement, ARRONDISSEMENT_UNSAID when one
    side names an arrondissement the other does not, OTHER_ARRONDISSEMENT for another one.
    Other names: rapidfuzz's normalised Indel ratio of the names without spaces, after the
    leading words they share ("saint denis" vs "saint dizier" compares "denis" and "dizier").
    """
    if not fold(typed):
        return NOT_TYPED
    if not fold(held):
        return NOTHING_HELD
    (mine, arr_mine), (theirs, arr_theirs) = parse_locality(typed), parse_locality(held)
    if mine == theirs:
        if arr_mine == arr_theirs:
            return Explained(1.0, "same city (CEDEX, saint/st, hyphens aside)", typed, held)
        if arr_mine is None or arr_theirs is None:
            rule = "same city, one side names no arrondissement"
            return Explained(ARRONDISSEMENT_UNSAID, rule, typed, held)
        return Explained(OTHER_ARRONDISSEMENT, "same city, another arrondissement", typed, held)
    left, right = mine.split(), theirs.split()
    while len(left) > 1 and len(right) > 1 and left[0] == right[0]:
        left, right = left[1:], right[1:]
    score = hundredths(fuzz.ratio("".join(left), "".join(right)) / 100.0)
    return Explained(score, "other names: Indel ratio after shared leading words", typed, held)


def postal_code_score(typed: str, held: str) -> Score:
    """explain_postal_code's score."""
    return explain_postal_code(typed, held).score


def explain_postal_code(typed: str, held: str) -> Explained:
    """Postal code: 1.0 when equal (spaces and case aside), else partial or 0.0.

    SAME_DEPARTMENT for two 5-digit codes of the same department (first two digits, three for
    the overseas 97x/98x), except two arrondissement codes of Paris, Lyon or Marseille, which
    are other places of the same city: 0.0. Anything else is 0.0.
    """
    mine, theirs = compact(typed), compact(held)
    if not mine:
        return NOT_TYPED
    if not theirs:
        return NOTHING_HELD
    if mine == theirs:
        return Explained(1.0, "same code", typed, held)
    if not (_french(mine) and _french(theirs)):
        return Explained(0.0, "another code, not two French codes", typed, held)
    if _department(mine) != _department(theirs):
        return Explained(0.0, "another department", typed, held)
    both_arrondissements = any(
        mine in codes and theirs in codes for codes in ARRONDISSEMENT_CODES.values()
    )
    if both_arrondissements:
        return Explained(0.0, "another arrondissement of the same city", typed, held)
    return Explained(SAME_DEPARTMENT, "another code of the same department", typed, held)


def _french(code: str) -> bool:
    return len(code) == 5 and code.isdigit()


def _department(code: str) -> str:
    return code[:3] if code.startswith(("97", "98")) else code[:2]

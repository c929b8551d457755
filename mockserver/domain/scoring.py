"""Similarity of the user's data (user_infos) against the operator's record of the line.

One scorer per field kind, each with its rule in its docstring and in docs/matching-scores.md
("Matching scores"). Every scorer returns "" when the user typed nothing (the docs' example
`"gender": ""`), 0.0 when the record holds nothing to compare with, else a score in 0..1 with
two decimals. Each `explain_*` function is the scorer itself, returning the score with the
rule that produced it (`Explained`); each `*_score` function is its score alone.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections.abc import Mapping
from functools import cache
from typing import Any

import pycountry
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from mockserver.domain.folding import (
    NOT_TYPED,
    NOTHING_HELD,
    Explained,
    Score,
    fold,
    hundredths,
)
from mockserver.domain.memo import memoised
from mockserver.domain.scoring_address import (
    explain_locality,
    explain_postal_code,
    explain_street,
)

ADDRESS_FIELDS = ("country", "postal_code", "street_address", "locality")

# Names: rules that recognise the same name written differently, best first. A fuzzy match
# (a typo) stays below them, at most FUZZY_CAP.
PARTICLE_DROPPED = 0.95  # "Fontaine" / "de La Fontaine", "de La Fontaine" / "Lafontaine"
REORDERED = 0.95  # "Martin Dupont" / "Dupont Martin"
PART_OF_COMPOUND = 0.85  # "Jean" / "Jean-Pierre", "Dupont" / "Dupont-Martin"
INITIALS_AND_NAMES = 0.7  # "Jean P." / "Jean Pierre"
INITIALS_ONLY = 0.6  # "J.-P." / "Jean-Pierre"
FUZZY_CAP = 0.94
# Leading particles of French (and neighbouring) family names: de, d', du, des, de la, le,
# la, les, l', van, von, der, den, da, di, del, della, dos, das, do, ter, ten.
PARTICLES = frozenset(
    {"de", "d", "du", "des", "la", "le", "les", "l", "van", "von", "der", "den", "da", "di"}
    | {"del", "della", "dos", "das", "do", "ter", "ten"}
)
# Birthdate: the same date written wrongly in one of three common ways.
SWAPPED_DAY_MONTH = 0.8  # 1985-12-04 / 1985-04-12: a US-style date
ONE_DIGIT = 0.7  # 1985-04-13 / 1985-04-12
OTHER_YEAR = 0.5  # 1958-04-12 / 1985-04-12: same day and month
_ISO_DATE = re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})")
_FRENCH_DATE = re.compile(r"(?P<d>\d{1,2})[/.-](?P<m>\d{1,2})[/.-](?P<y>\d{4})")
# Email: the local part compared apart from the domain.
SEPARATORS_ONLY = 0.9  # jean.dupont@ / jeandupont@ at a provider where dots count
FUZZY_LOCAL = 0.8  # times the local parts' ratio
OTHER_DOMAIN = 0.7  # times the local parts' score
# Gmail ignores dots and a +tag in the local part, and googlemail.com is gmail.com (Google,
# "Use Gmail aliases", https://support.google.com/mail/answer/7436150 and 10313).
GMAIL = "gmail.com"
DOMAIN_ALIASES = {"googlemail.com": GMAIL}
# Gender: M/F and what a French form sends instead (civilities, words).
_MALE = ("m", "mr", "monsieur", "h", "homme", "masculin", "male")
_FEMALE = ("f", "mme", "madame", "mlle", "mademoiselle", "femme", "feminin", "female")
GENDERS = {**dict.fromkeys(_MALE, "M"), **dict.fromkeys((*_FEMALE, "ms", "mrs", "miss"), "F")}
COUNTRY_FUZZY_CAP = 0.9


def name_score(typed: str, held: str) -> Score:
    """explain_name's score."""
    return explain_name(typed, held).score


def explain_name(typed: str, held: str) -> Explained:
    """Similarity of two names (given, family or maiden), best rule first.

    Compared folded (case, accents, æ/œ, hyphens, apostrophes, spacing aside): 1.0 when equal
    once spaces are removed ("Jean-Pierre" = "Jean Pierre", "Du Pont" = "Dupont");
    PARTICLE_DROPPED when they are equal once leading particles are dropped from one side
    (PARTICLES); REORDERED for the same words in another order; PART_OF_COMPOUND when one
    side's words are some of the other's; INITIALS_* when the words pair up with initials;
    else the mean of Jaro-Winkler (kind to short names and late typos) and the normalised
    Indel ratio (which penalises added letters: Jean / Jeanne), at most FUZZY_CAP.
    """
    mine, theirs = fold(typed), fold(held)
    if not mine:
        return NOT_TYPED
    if not theirs:
        return NOTHING_HELD
    score, rule = _name_similarity(mine.split(), theirs.split())
    return Explained(hundredths(score), rule, typed, held)


def _name_similarity(mine: list[str], theirs: list[str]) -> tuple[float, str]:
    if "".join(mine) == "".join(theirs):
        return 1.0, "equal once folded (case, accents, ligatures, hyphens, spaces)"
    ours, others = _particle_forms(mine), _particle_forms(theirs)
    if ours & others:
        return PARTICLE_DROPPED, "particle dropped or glued"
    core_mine, core_theirs = _core(mine), _core(theirs)
    if sorted(core_mine) == sorted(core_theirs):
        return REORDERED, "same words in another order"
    fewer, more = sorted((set(core_mine), set(core_theirs)), key=len)
    if fewer <= more:  # "marie marie" / "marie" too
        return PART_OF_COMPOUND, "part of a compound name"
    initials = _initials(core_mine, core_theirs)
    if initials:
        return initials
    best = max(_fuzzy(a, b) for a in ours for b in others)
    return min(best, FUZZY_CAP), "fuzzy: mean of Jaro-Winkler and Indel ratio, at most 0.94"


def _core(words: list[str]) -> list[str]:
    """`words` without their leading particles (at least one word is kept)."""
    start = 0
    while start < len(words) - 1 and words[start] in PARTICLES:
        start += 1
    return words[start:]


def _particle_forms(words: list[str]) -> set[str]:
    """The name without spaces, with each run of its leading particles dropped."""
    dropped = len(words) - len(_core(words))
    return {"".join(words[start:]) for start in range(dropped + 1)}


def _initials(mine: list[str], theirs: list[str]) -> tuple[float, str] | None:
    """INITIALS_* and its rule when the words pair up in order, some as initials; else None."""
    if len(mine) != len(theirs):
        return None
    pairs = list(zip(mine, theirs, strict=True))
    if not all(a == b or _initial_of(a, b) or _initial_of(b, a) for a, b in pairs):
        return None
    if any(a == b for a, b in pairs):
        return INITIALS_AND_NAMES, "names and initials"
    return INITIALS_ONLY, "initials only"


def _initial_of(initial: str, word: str) -> bool:
    return len(initial) == 1 and word.startswith(initial)


def _fuzzy(mine: str, theirs: str) -> float:
    jaro = JaroWinkler.similarity(mine, theirs)
    indel = fuzz.ratio(mine, theirs) / 100.0
    return float((jaro + indel) / 2)


def family_score(lastname: str, maiden_name: str, family: str, maiden: str) -> Score:
    """explain_family's score."""
    return explain_family(lastname, maiden_name, family, maiden).score


def explain_family(lastname: str, maiden_name: str, family: str, maiden: str) -> Explained:
    """The best name_score of the user's names against the record's family and maiden names.

    A French person may use either their birth (maiden) name or a usage (married) name, and
    forms differ on which goes where: the user's lastname and maiden_name are each compared
    with the record's family_name and maiden_name, and the best pair counts. "" when the
    user typed neither; 0.0 when the record holds neither. The rule names the pair that
    counts when it is not lastname against family_name (the first best pair in that order).
    """
    typed = [(key, name) for key, name in (("lastname", lastname), ("maiden_name", maiden_name))]
    held = [(key, name) for key, name in (("family_name", family), ("maiden_name", maiden))]
    if not any(fold(name) for _, name in typed):
        return NOT_TYPED
    pairs = [(a, b) for a in typed for b in held if fold(a[1]) and fold(b[1])]
    if not pairs:
        return NOTHING_HELD
    scored = [(explain_name(a[1], b[1]), a[0], b[0]) for a, b in pairs]
    best, mine, theirs = max(scored, key=lambda item: float(item[0].score))
    if (mine, theirs) == ("lastname", "family_name"):
        return best
    return best._replace(rule=f"{best.rule}; user's {mine} vs record's {theirs}")


def birthdate_score(typed: str, held: str) -> Score:
    """explain_birthdate's score."""
    return explain_birthdate(typed, held).score


def explain_birthdate(typed: str, held: str) -> Explained:
    """1.0 for the same date (YYYY-MM-DD, or DD/MM/YYYY as French forms write it).

    Else SWAPPED_DAY_MONTH for the day and month swapped, ONE_DIGIT for one digit wrong of
    the eight, OTHER_YEAR for the same day and month in another year, the best that applies;
    0.0 otherwise. A value that is not a date scores 1.0 only when equal to the other.
    """
    mine, theirs = typed.strip(), held.strip()
    if not fold(mine):
        return NOT_TYPED
    a, b = _date(mine), _date(theirs)
    if a is None or b is None:
        same = fold(mine) == fold(theirs)
        return Explained(1.0 if same else 0.0, "not a date: equal text or nothing", typed, held)
    if a == b:
        return Explained(1.0, "same date", typed, held)
    (ya, ma, da), (yb, mb, db) = a, b
    written = f"{ya:04d}{ma:02d}{da:02d}", f"{yb:04d}{mb:02d}{db:02d}"
    digits = sum(x != y for x, y in zip(*written, strict=True))
    rules = (
        (ya == yb and ma == db and da == mb, SWAPPED_DAY_MONTH, "day and month swapped"),
        (digits == 1, ONE_DIGIT, "one digit wrong"),
        ((ma, da) == (mb, db), OTHER_YEAR, "same day and month, another year"),
        (True, 0.0, "another date"),
    )
    score, rule = max((s, r) for applies, s, r in rules if applies)  # scores all differ
    return Explained(score, rule, typed, held)


def _date(text: str) -> tuple[int, int, int] | None:
    match = _ISO_DATE.fullmatch(text) or _FRENCH_DATE.fullmatch(text)
    if match is None:
        return None
    return int(match["y"]), int(match["m"]), int(match["d"])


def email_score(typed: str, held: str) -> Score:
    """explain_email's score."""
    return explain_email(typed, held).score


def explain_email(typed: str, held: str) -> Explained:
    """Email similarity: the local part compared apart from the domain.

    Case aside; when both are at Gmail (googlemail.com is gmail.com) dots and a +tag in the
    local part are ignored, as Google documents. Local parts: 1.0 when equal, SEPARATORS_ONLY
    when equal once dots, hyphens and underscores are removed, else FUZZY_LOCAL x their
    normalised Indel ratio; the result times OTHER_DOMAIN when the domains differ.
    """
    if not typed.strip():
        return NOT_TYPED
    if not held.strip():
        return NOTHING_HELD
    (local_a, domain_a), (local_b, domain_b) = _mailbox(typed), _mailbox(held)
    rules = []
    if domain_a == domain_b == GMAIL:
        local_a, local_b = _gmail_local(local_a), _gmail_local(local_b)
        rules.append("Gmail: dots and +tag ignored")
    score, rule = _local(local_a, local_b)
    rules.append(rule)
    if domain_a != domain_b:
        score *= OTHER_DOMAIN
        rules.append("x 0.7, another domain")
    return Explained(hundredths(score), "; ".join(rules), typed, held)


def _local(mine: str, theirs: str) -> tuple[float, str]:
    if mine == theirs:
        return 1.0, "same local part"
    if re.sub(r"[._-]", "", mine) == re.sub(r"[._-]", "", theirs):
        return SEPARATORS_ONLY, "local parts equal but for . - _"
    return FUZZY_LOCAL * fuzz.ratio(mine, theirs) / 100.0, "local parts: 0.8 x Indel ratio"


def _mailbox(address: str) -> tuple[str, str]:
    """(local part, domain) in folded case, googlemail.com read as gmail.com."""
    local, at, domain = unicodedata.normalize("NFC", address.strip().casefold()).rpartition("@")
    if not at:  # no domain at all: the whole value is the local part
        local, domain = domain, ""
    return local, DOMAIN_ALIASES.get(domain, domain)


def _gmail_local(local: str) -> str:
    """The mailbox Gmail delivers to: dots and a +tag do not count."""
    return local.partition("+")[0].replace(".", "")


def gender_score(typed: str, held: str) -> Score:
    """explain_gender's score."""
    return explain_gender(typed, held).score


def explain_gender(typed: str, held: str) -> Explained:
    """1.0 when both say the same gender, M/F or a French civility (M., Mme, Mlle...)."""
    mine, theirs = fold(typed), fold(held)
    if not mine:
        return NOT_TYPED
    if GENDERS.get(mine, mine) == GENDERS.get(theirs, theirs):
        return Explained(1.0, "same gender (M/F or civility)", typed, held)
    return Explained(0.0, "another gender, or none", typed, held)


def country_score(typed: str, held: str) -> Score:
    """explain_country's score."""
    return explain_country(typed, held).score


def explain_country(typed: str, held: str) -> Explained:
    """1.0 for the same country by ISO 3166 code (alpha-2, alpha-3, numeric) or by its name
    in English or French (pycountry's ISO 3166-1 names and translations); 0.0 for another.

    A value that names no country is compared by normalised Indel ratio with the other
    side's names, at most COUNTRY_FUZZY_CAP ("Frnace" / "France").
    """
    mine, theirs = fold(typed), fold(held)
    if not mine:
        return NOT_TYPED
    if not theirs:
        return NOTHING_HELD
    if mine == theirs:
        return Explained(1.0, "equal once folded", typed, held)
    index = country_index()
    code_mine, code_theirs = index.get(mine), index.get(theirs)
    if code_mine and code_theirs:
        if code_mine == code_theirs:
            return Explained(1.0, "same ISO 3166 country", typed, held)
        return Explained(0.0, "another ISO 3166 country", typed, held)
    names_mine = _country_names(code_mine) or {mine}
    names_theirs = _country_names(code_theirs) or {theirs}
    best = max(fuzz.ratio(a, b) / 100.0 for a in names_mine for b in names_theirs)
    rule = "not a country: Indel ratio with its names, at most 0.9"
    return Explained(hundredths(min(best, COUNTRY_FUZZY_CAP)), rule, typed, held)


@cache
def country_index() -> dict[str, str]:
    """Every folded code and English or French name of an ISO 3166-1 country -> alpha-2."""
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    index: dict[str, str] = {}
    for country in pycountry.countries:
        english = [getattr(country, key, "") for key in ("name", "official_name", "common_name")]
        names = [*english, *(french.gettext(name) for name in english if name)]
        for name in (country.alpha_2, country.alpha_3, country.numeric, *names):
            if name:
                index.setdefault(fold(name), country.alpha_2)
    return index


def _country_names(code: str | None) -> set[str]:
    return {name for name, alpha_2 in country_index().items() if code and alpha_2 == code}


# explain_scores reads these string fields (a JSON number, "number": 10, is compared as text).
USER_FIELDS = ("lastname", "maiden_name", "gender", "birthdate", "firstname", "email")
USER_ADDRESS_FIELDS = ("country", "postal_code", "street_address", "number", "locality")
RECORD_FIELDS = ("family_name", "maiden_name", "gender", "birthdate", "given_name", "email")
# Scoring is pure and costs ~0.5 ms; a client sends the same user_infos against the same
# record again (a retry, a load test): memoised on the compared strings, bounded.
SCORES_CACHE_SIZE = 64


def compute_scores(user: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """The documented score object: family_name, gender, birthdate, given_name, address, email.

    `user` is user_infos (lastname, maiden_name, firstname, street_address, number...);
    `record` the operator's record (family_name, maiden_name, given_name, address{...}).
    A new dict on each call.
    """
    cached = _scored(_compared(user, record))
    return {**cached, "address": dict(cached["address"])}


_TYPED = (*USER_FIELDS, *USER_ADDRESS_FIELDS)


def _compared(user: Mapping[str, Any], record: Mapping[str, Any]) -> tuple[str, ...]:
    """The strings explain_scores compares, in one tuple (the memo's key): the user's
    (_TYPED), the record's (RECORD_FIELDS), the record's address (USER_ADDRESS_FIELDS)."""
    held = record.get("address") or {}
    return (
        *(_s(user, key) for key in _TYPED),
        *(_s(record, key) for key in RECORD_FIELDS),
        *(_s(held, key) for key in USER_ADDRESS_FIELDS),
    )


@memoised(SCORES_CACHE_SIZE)
def _scored(compared: tuple[str, ...]) -> dict[str, Any]:
    return scores_of(_explain(compared))  # not _explained's cache: `score` alone reads it


def explain_scores(user: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """compute_scores' object with an Explained in place of each score.

    A new dict on each call (the Explained values, immutable, may be shared between calls).
    """
    cached = _explained(_compared(user, record))
    return {**cached, "address": dict(cached["address"])}


@memoised(SCORES_CACHE_SIZE)
def _explained(compared: tuple[str, ...]) -> dict[str, Any]:
    return _explain(compared)


def _explain(compared: tuple[str, ...]) -> dict[str, Any]:
    typed, rest = compared[: len(_TYPED)], compared[len(_TYPED) :]
    user = dict(zip(_TYPED, typed, strict=True))
    mine = dict(zip(RECORD_FIELDS, rest[: len(RECORD_FIELDS)], strict=True))
    address = dict(zip(USER_ADDRESS_FIELDS, rest[len(RECORD_FIELDS) :], strict=True))
    return {
        "family_name": explain_family(
            user["lastname"], user["maiden_name"], mine["family_name"], mine["maiden_name"]
        ),
        "gender": explain_gender(user["gender"], mine["gender"]),
        "birthdate": explain_birthdate(user["birthdate"], mine["birthdate"]),
        "given_name": explain_name(user["firstname"], mine["given_name"]),
        "address": {
            "country": explain_country(user["country"], address["country"]),
            "postal_code": explain_postal_code(user["postal_code"], address["postal_code"]),
            "street_address": explain_street(
                user["street_address"],
                user["number"],
                address["street_address"],
                address["number"],
            ),
            "locality": explain_locality(user["locality"], address["locality"]),
        },
        "email": explain_email(user["email"], mine["email"]),
    }


def scores_of(explained: Mapping[str, Any]) -> dict[str, Any]:
    """explain_scores' object with each Explained replaced by its score."""
    return {
        key: scores_of(value) if isinstance(value, Mapping) else value.score
        for key, value in explained.items()
    }


def explain_pinned(pinned: Mapping[str, Any], rule: str) -> dict[str, Any]:
    """A scenario's pinned scores (address key by key) as Explained with `rule`."""
    return {
        key: explain_pinned(value, rule) if isinstance(value, Mapping) else Explained(value, rule)
        for key, value in pinned.items()
    }


def apply_pinned(scores: dict[str, Any], pinned: Mapping[str, Any]) -> dict[str, Any]:
    """Overlay the scenario's pinned scores (address key by key) on computed ones."""
    return {**scores, **pinned, "address": {**scores["address"], **pinned.get("address", {})}}


def _s(mapping: Mapping[str, Any], key: str) -> str:
    return str(mapping.get(key, ""))  # a JSON number (number: 10) is compared as text


# A session keeps its computed scores as one byte each, in this order (docs/limits.md "State,
# stopping and safe methods"): a dict per session cost ~1 KiB, a tuple ~110 bytes. Computed scores
# are "" or 0.00..1.00 (two decimals): byte i is the score i/100, byte EMPTY is "".
PACKED_FIELDS = ("family_name", "gender", "birthdate", "given_name", "email", *ADDRESS_FIELDS)
EMPTY = 255


def pack(scores: Mapping[str, Any]) -> bytes:
    """compute_scores' object as bytes, one per PACKED_FIELDS (address fields last).

    Raises ValueError for a score that is neither "" nor a two-decimal number in 0..1.
    """
    address = scores["address"]
    values = [scores[f] for f in PACKED_FIELDS[:5]] + [address[f] for f in ADDRESS_FIELDS]
    return bytes(_byte(v) for v in values)


def _byte(score: Score) -> int:
    if score == "":
        return EMPTY
    hundredths = round(float(score) * 100)
    if not 0 <= hundredths <= 100 or hundredths / 100 != score:
        raise ValueError(f"score {score!r} is not 0.00..1.00 in hundredths")
    return hundredths


def unpack(packed: bytes) -> dict[str, Any]:
    """The score object of a pack()ed value."""
    values: list[Score] = ["" if b == EMPTY else b / 100 for b in packed]
    top = dict(zip(PACKED_FIELDS[:5], values[:5], strict=True))
    return {**top, "address": dict(zip(ADDRESS_FIELDS, values[5:], strict=True))}

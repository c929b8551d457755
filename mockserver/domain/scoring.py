"""Similarity of the user's data (user_infos) against the operator's record of the line.

One scorer per field kind, each with its rule in its docstring and in the README ("Scores").
Every scorer returns "" when the user typed nothing (the docs' example `"gender": ""`), 0.0
when the record holds nothing to compare with, else a score in 0..1 with two decimals.
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

from mockserver.domain.folding import fold, hundredths
from mockserver.domain.scoring_address import (
    locality_score,
    postal_code_score,
    street_score,
)

Score = float | str
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
        return ""
    if not theirs:
        return 0.0
    return hundredths(_name_similarity(mine.split(), theirs.split()))


def _name_similarity(mine: list[str], theirs: list[str]) -> float:
    if "".join(mine) == "".join(theirs):
        return 1.0
    ours, others = _particle_forms(mine), _particle_forms(theirs)
    if ours & others:
        return PARTICLE_DROPPED
    core_mine, core_theirs = _core(mine), _core(theirs)
    if sorted(core_mine) == sorted(core_theirs):
        return REORDERED
    fewer, more = sorted((set(core_mine), set(core_theirs)), key=len)
    if fewer <= more:  # "marie marie" / "marie" too
        return PART_OF_COMPOUND
    initials = _initials(core_mine, core_theirs)
    if initials:
        return initials
    best = max(_fuzzy(a, b) for a in ours for b in others)
    return min(best, FUZZY_CAP)


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


def _initials(mine: list[str], theirs: list[str]) -> float:
    """INITIALS_* when the words pair up in order, some as initials; else 0.0."""
    if len(mine) != len(theirs):
        return 0.0
    pairs = list(zip(mine, theirs, strict=True))
    if not all(a == b or _initial_of(a, b) or _initial_of(b, a) for a, b in pairs):
        return 0.0
    if any(a == b for a, b in pairs):
        return INITIALS_AND_NAMES
    return INITIALS_ONLY


def _initial_of(initial: str, word: str) -> bool:
    return len(initial) == 1 and word.startswith(initial)


def _fuzzy(mine: str, theirs: str) -> float:
    jaro = JaroWinkler.similarity(mine, theirs)
    indel = fuzz.ratio(mine, theirs) / 100.0
    return float((jaro + indel) / 2)


def family_score(lastname: str, maiden_name: str, family: str, maiden: str) -> Score:
    """The best name_score of the user's names against the record's family and maiden names.

    A French person may use either their birth (maiden) name or a usage (married) name, and
    forms differ on which goes where: the user's lastname and maiden_name are each compared
    with the record's family_name and maiden_name, and the best pair counts. "" when the
    user typed neither; 0.0 when the record holds neither.
    """
    typed = [name for name in (lastname, maiden_name) if fold(name)]
    if not typed:
        return ""
    held = [name for name in (family, maiden) if fold(name)]
    scores = [name_score(a, b) for a in typed for b in held]
    return max((s for s in scores if isinstance(s, float)), default=0.0)


def birthdate_score(typed: str, held: str) -> Score:
    """1.0 for the same date (YYYY-MM-DD, or DD/MM/YYYY as French forms write it).

    Else SWAPPED_DAY_MONTH for the day and month swapped, ONE_DIGIT for one digit wrong of
    the eight, OTHER_YEAR for the same day and month in another year, the best that applies;
    0.0 otherwise. A value that is not a date scores 1.0 only when equal to the other.
    """
    mine, theirs = typed.strip(), held.strip()
    if not fold(mine):
        return ""
    a, b = _date(mine), _date(theirs)
    if a is None or b is None:
        return 1.0 if fold(mine) == fold(theirs) else 0.0
    if a == b:
        return 1.0
    (ya, ma, da), (yb, mb, db) = a, b
    written = f"{ya}{ma:02d}{da:02d}", f"{yb}{mb:02d}{db:02d}"
    digits = sum(x != y for x, y in zip(*written, strict=True))
    rules = (
        (ya == yb and ma == db and da == mb, SWAPPED_DAY_MONTH),
        (digits == 1, ONE_DIGIT),
        ((ma, da) == (mb, db), OTHER_YEAR),
    )
    return max((score for applies, score in rules if applies), default=0.0)


def _date(text: str) -> tuple[int, int, int] | None:
    match = _ISO_DATE.fullmatch(text) or _FRENCH_DATE.fullmatch(text)
    if match is None:
        return None
    return int(match["y"]), int(match["m"]), int(match["d"])


def email_score(typed: str, held: str) -> Score:
    """Email similarity: the local part compared apart from the domain.

    Case aside; when both are at Gmail (googlemail.com is gmail.com) dots and a +tag in the
    local part are ignored, as Google documents. Local parts: 1.0 when equal, SEPARATORS_ONLY
    when equal once dots, hyphens and underscores are removed, else FUZZY_LOCAL x their
    normalised Indel ratio; the result times OTHER_DOMAIN when the domains differ.
    """
    if not typed.strip():
        return ""
    if not held.strip():
        return 0.0
    (local_a, domain_a), (local_b, domain_b) = _mailbox(typed), _mailbox(held)
    if domain_a == domain_b == GMAIL:
        local_a, local_b = _gmail_local(local_a), _gmail_local(local_b)
    return hundredths(_local(local_a, local_b) * (1.0 if domain_a == domain_b else OTHER_DOMAIN))


def _local(mine: str, theirs: str) -> float:
    if mine == theirs:
        return 1.0
    if re.sub(r"[._-]", "", mine) == re.sub(r"[._-]", "", theirs):
        return SEPARATORS_ONLY
    return FUZZY_LOCAL * fuzz.ratio(mine, theirs) / 100.0


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
    """1.0 when both say the same gender, M/F or a French civility (M., Mme, Mlle...)."""
    mine, theirs = fold(typed), fold(held)
    if not mine:
        return ""
    return 1.0 if GENDERS.get(mine, mine) == GENDERS.get(theirs, theirs) else 0.0


def country_score(typed: str, held: str) -> Score:
    """1.0 for the same country by ISO 3166 code (alpha-2, alpha-3, numeric) or by its name
    in English or French (pycountry's ISO 3166-1 names and translations); 0.0 for another.

    A value that names no country is compared by normalised Indel ratio with the other
    side's names, at most COUNTRY_FUZZY_CAP ("Frnace" / "France").
    """
    mine, theirs = fold(typed), fold(held)
    if not mine:
        return ""
    if not theirs:
        return 0.0
    if mine == theirs:
        return 1.0
    index = country_index()
    code_mine, code_theirs = index.get(mine), index.get(theirs)
    if code_mine and code_theirs:
        return 1.0 if code_mine == code_theirs else 0.0
    names_mine = _country_names(code_mine) or {mine}
    names_theirs = _country_names(code_theirs) or {theirs}
    best = max(fuzz.ratio(a, b) / 100.0 for a in names_mine for b in names_theirs)
    return hundredths(min(best, COUNTRY_FUZZY_CAP))


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


def compute_scores(user: Mapping[str, Any], record: Mapping[str, Any]) -> dict[str, Any]:
    """The documented score object: family_name, gender, birthdate, given_name, address, email.

    `user` is user_infos (lastname, maiden_name, firstname, street_address, number...);
    `record` the operator's record (family_name, maiden_name, given_name, address{...}).
    """
    held = record.get("address") or {}
    return {
        "family_name": family_score(
            _s(user, "lastname"),
            _s(user, "maiden_name"),
            _s(record, "family_name"),
            _s(record, "maiden_name"),
        ),
        "gender": gender_score(_s(user, "gender"), _s(record, "gender")),
        "birthdate": birthdate_score(_s(user, "birthdate"), _s(record, "birthdate")),
        "given_name": name_score(_s(user, "firstname"), _s(record, "given_name")),
        "address": {
            "country": country_score(_s(user, "country"), _s(held, "country")),
            "postal_code": postal_code_score(_s(user, "postal_code"), _s(held, "postal_code")),
            "street_address": street_score(
                _s(user, "street_address"),
                _s(user, "number"),
                _s(held, "street_address"),
                _s(held, "number"),
            ),
            "locality": locality_score(_s(user, "locality"), _s(held, "locality")),
        },
        "email": email_score(_s(user, "email"), _s(record, "email")),
    }


def apply_pinned(scores: dict[str, Any], pinned: Mapping[str, Any]) -> dict[str, Any]:
    """Overlay the scenario's pinned scores (address key by key) on computed ones."""
    return {**scores, **pinned, "address": {**scores["address"], **pinned.get("address", {})}}


def _s(mapping: Mapping[str, Any], key: str) -> str:
    return str(mapping.get(key, ""))  # a JSON number (number: 10) is compared as text


# A session keeps its computed scores as one byte each, in this order (README "State"): a dict
# per session cost ~1 KiB, a tuple ~110 bytes. Computed scores are "" or 0.00..1.00 (two
# decimals): byte i is the score i/100, byte EMPTY is "".
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

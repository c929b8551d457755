"""Deterministic, plausible fakes for recorded personal data (numbers, names, addresses).

Every fake is chosen by an HMAC of the original value keyed with the seed: the same seed maps
the same original to the same fake, and nobody without the seed can map a fake back. Phone
numbers are few enough to be guessed by brute force, so the seed is a secret; without one a
random key is used and the mapping is not reproducible.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

# ARCEP's fiction range, the part dqe-mock keeps for recordings: +33 6 39 98 8x xx.
RECORDED_PREFIX = "+33639988"
RECORDED_CAPACITY = 1000
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

GIVEN_NAMES = {
    "M": ("Armand", "Basile", "Célestin", "Eudes", "Gaspard", "Hippolyte", "Isidore", "Lazare",
          "Marius", "Octave", "Prosper", "Rodolphe", "Sylvain", "Théodore", "Valère", "Wilfried"),
    "F": ("Adèle", "Bérénice", "Capucine", "Eulalie", "Flavie", "Gisèle", "Honorine", "Ida",
          "Joséphine", "Léontine", "Mathilde", "Noémie", "Ophélie", "Philomène", "Rosalie",
          "Solène"),
}  # fmt: skip
FAMILY_NAMES = (
    "Aubertin", "Barbarin", "Carpentier", "Delorme", "Estienne", "Fontanel", "Gaudemar",
    "Hamelin", "Jolivet", "Lacombe", "Marchal", "Noiret", "Ollivier", "Pradel", "Quesnel",
    "Rivoire", "Sauvageot", "Tessier", "Vautrin", "Villeneuve",
)  # fmt: skip
STREETS = (
    "rue des Tilleuls", "allée des Cerisiers", "chemin du Moulin", "avenue des Acacias",
    "impasse des Glycines", "boulevard de l'Horloge", "place du Marché", "rue de la Fontaine",
    "quai des Mariniers", "rue du Four à Chaux",
)  # fmt: skip
TOWNS = (
    ("21000", "Dijon"), ("25000", "Besançon"), ("29200", "Brest"), ("37000", "Tours"),
    ("45000", "Orléans"), ("51100", "Reims"), ("63000", "Clermont-Ferrand"),
    ("87000", "Limoges"), ("80000", "Amiens"), ("86000", "Poitiers"),
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
# Values of a subscriber record, a formfilling result or user_infos that no fake may contain.
PERSONAL_KEYS = (
    "phone_number", "family_name", "name", "given_name", "email", "email_account", "birthdate",
    "sub", "updated_at", "subscriber_msisdn", "firstname", "lastname", "maiden_name", "phone",
    "street_address", "postal_code", "locality", "formatted",
)  # fmt: skip


class Pseudonymiser:
    """Fakes keyed by a seed; never returns a value that contains an original it was told of."""

    def __init__(self, seed: int | None, avoid: Iterable[str] = ()) -> None:
        self._key = f"dqe-mock-pseudonym:{seed}".encode() if seed is not None else _random_key()
        # A blank value folds to "", which no fake equals and which is too short to contain.
        self._avoid = {_fold(v) for v in avoid}
        self._numbers: dict[str, str] = {}
        self._taken: set[str] = set()

    def avoid(self, values: Iterable[str]) -> None:
        """Originals that no fake may contain (case- and accent-insensitive)."""
        self._avoid |= {_fold(v) for v in values}

    def number(self, e164: str) -> str:
        """A number in +33 6 39 98 8x xx, the same for the same original, unique per instance."""
        if e164 in self._numbers:
            return self._numbers[e164]
        if len(self._taken) >= RECORDED_CAPACITY:
            raise ValueError(f"more than {RECORDED_CAPACITY} distinct numbers to pseudonymise")
        start = self._digest("number", e164)
        for step in range(RECORDED_CAPACITY):
            candidate = f"{RECORDED_PREFIX}{(start + step) % RECORDED_CAPACITY:03d}"
            if candidate not in self._taken and candidate != e164:
                break
        self._taken.add(candidate)
        self._numbers[e164] = candidate
        return candidate

    def given_name(self, original: str, gender: str = "") -> str:
        """A first name of the same gender (either, when unknown)."""
        names = GIVEN_NAMES.get(gender) or (*GIVEN_NAMES["M"], *GIVEN_NAMES["F"])
        return self._choose("given_name", original, names)

    def family_name(self, original: str) -> str:
        """A family name."""
        return self._choose("family_name", original, FAMILY_NAMES)

    def email(self, original: str, given: str, family: str) -> str:
        """given.family@example.* built from the fake names."""
        domain = self._choose("email", original, EMAIL_DOMAINS)
        return f"{_ascii(given)}.{_ascii(family)}@{domain}"

    def date(self, kind: str, original: str, first_year: int, years: int) -> str:
        """A valid YYYY-MM-DD in [first_year, first_year + years)."""
        for attempt in range(100):
            value = self._digest(kind, original, attempt)
            year = first_year + value % years
            month, day = 1 + (value >> 8) % 12, 1 + (value >> 16) % 28
            candidate = f"{year:04d}-{month:02d}-{day:02d}"
            if self._acceptable(candidate, original):
                return candidate
        return f"{first_year:04d}-01-01"

    def sub(self, original: str) -> str:
        """An opaque subscriber id."""
        return f"rec-{self._digest('sub', original):016x}"

    def address(self, original: Mapping[str, Any]) -> dict[str, str]:
        """Street, town and number replaced; the country kept (formatted is rebuilt by the mock)."""
        key = "|".join(str(original.get(k, "")) for k in ("number", "street_address", "locality"))
        postal_code, locality = self._choose_pair("town", key, TOWNS)
        fake = {
            "number": self._small_number("street_number", key, str(original.get("number", ""))),
            "street_address": self._choose("street", key, STREETS),
            "postal_code": postal_code,
            "locality": locality,
            "country": str(original.get("country", "")),
        }
        return {k: v if str(original.get(k, "")) else "" for k, v in fake.items()}

    def subscriber(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """A scenario subscriber made of fakes for every personal value of `record`."""
        self.avoid(personal_values(record))
        gender = str(record.get("gender", ""))
        given = self.given_name(str(record.get("given_name", "")), gender)
        family = self.family_name(str(record.get("family_name", "")))
        fake: dict[str, Any] = {
            "given_name": given if record.get("given_name") else "",
            "family_name": family if record.get("family_name") else "",
            "gender": gender if gender in ("M", "F") else "",
            "locale": str(record.get("locale", "")) or "fr-FR",
        }
        if record.get("maiden_name"):
            fake["maiden_name"] = self.family_name(f"maiden:{record['maiden_name']}")
        for key, years in (("birthdate", (1940, 65)), ("updated_at", (2015, 10))):
            if DATE.match(str(record.get(key, ""))):
                fake[key] = self.date(key, str(record[key]), *years)
        if record.get("birthplace"):
            place = str(record["birthplace"])
            fake["birthplace"] = self._small_number("birthplace", place, place, 95, "{:02d}")
        if record.get("email"):
            fake["email"] = self.email(str(record["email"]), given, family)
        if record.get("sub"):
            fake["sub"] = self.sub(str(record["sub"]))
        address = record.get("address")
        if isinstance(address, Mapping) and any(address.values()):
            fake["address"] = self.address(address)
        return fake

    def _small_number(
        self, kind: str, key: str, original: str, size: int = 120, form: str = "{}"
    ) -> str:
        """1..size, formatted, never the original."""
        value = self._digest(kind, key) % size
        candidate = form.format(1 + value)
        if candidate == original.strip():
            candidate = form.format(1 + (value + 1) % size)
        return candidate

    def _choose(self, kind: str, original: str, choices: Sequence[str]) -> str:
        start = self._digest(kind, original)
        for step in range(len(choices)):
            candidate = choices[(start + step) % len(choices)]
            if self._acceptable(candidate, original):
                return candidate
        return f"Rec{self._digest(kind, original, 1) % 10**6:06d}"

    def _choose_pair(
        self, kind: str, original: str, choices: Sequence[tuple[str, str]]
    ) -> tuple[str, str]:
        start = self._digest(kind, original)
        for step in range(len(choices)):
            pair = choices[(start + step) % len(choices)]
            if all(self._acceptable(part, original) for part in pair):
                return pair
        return (f"{self._digest(kind, original, 1) % 10**5:05d}", "Recville")

    def _acceptable(self, candidate: str, original: str) -> bool:
        folded = _fold(candidate)
        if folded == _fold(original):
            return False
        return not any(v == folded or (len(v) >= 3 and v in folded) for v in self._avoid)

    def _digest(self, kind: str, value: str, counter: int = 0) -> int:
        message = f"{kind}\x00{value}\x00{counter}".encode()
        return int.from_bytes(hmac.new(self._key, message, hashlib.sha256).digest()[:8], "big")


def _random_key() -> bytes:
    return secrets.token_bytes(32)


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def _ascii(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", _fold(text)).strip("-") or "user"


def personal_values(mapping: Mapping[str, Any]) -> Iterator[str]:
    """The personal values of a record, a formfilling result or user_infos (address included)."""
    for key in PERSONAL_KEYS:
        value = mapping.get(key)
        if isinstance(value, str) and value.strip():
            yield value
    address = mapping.get("address")
    if isinstance(address, Mapping):
        yield from personal_values(address)

"""Phone numbers: parsing the formats clients send, validity (error 10) and eligibility (09)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType

from mockserver.domain.memo import memoised

DEFAULT_REGION = "FR"
# ARCEP reserves +33 6 39 98 xx xx for fiction: never assigned to a subscriber. libphonenumber
# calls these numbers invalid; dqe-mock treats them as mobiles, so the magic numbers of the
# scenario packs can never reach a real person.
FICTION_MOBILE = re.compile(r"^\+3363998\d{4}$")
_ALLOWED_CHARS = re.compile(r"^[+0-9 ().\-/]+$")
# libphonenumber's parse and validity checks cost ~100 us a number; a client sends the same
# few numbers again and again (a load test, a retry, a poll of its scenario). parse() and the
# national form are memoised, bounded; an invalid number raises each time (exceptions are not
# cached).
PARSE_CACHE_SIZE = 256


class LineType(Enum):
    """What kind of line a number is; only mobiles are eligible for ID Mobile."""

    MOBILE = "mobile"
    FIXED = "fixed"
    SPECIAL = "special"


@dataclass(frozen=True)
class PhoneNumber:
    """A parsed number: E.164 form, region and line type."""

    e164: str
    region: str | None
    line_type: LineType

    @property
    def eligible(self) -> bool:
        """Only mobile lines can be checked with an operator."""
        return self.line_type is LineType.MOBILE

    @property
    def national(self) -> str:
        """The national form without spaces (0612345678 for a French number)."""
        return _national(self.e164)


@memoised(PARSE_CACHE_SIZE)
def _national(e164: str) -> str:
    parsed = phonenumbers.parse(e164)
    text = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return re.sub(r"\D", "", text)


class InvalidNumber(ValueError):
    """The text is not a phone number that exists (DQE error 10)."""


@memoised(PARSE_CACHE_SIZE)
def parse(raw: str, region: str | None = None) -> PhoneNumber:
    """Parse +33612345678, 0612345678, 0033 6 12 34 56 78, 33612345678, 06.12.34.56.78 ...

    Returns an immutable PhoneNumber (shared between calls with the same arguments); raises
    InvalidNumber (DQE error 10) for text that is not a number in service.
    """
    text = raw.strip()
    if not text or not _ALLOWED_CHARS.match(text):
        raise InvalidNumber(f"{raw!r} is not a phone number")
    try:
        parsed = phonenumbers.parse(text, (region or DEFAULT_REGION).upper())
    except NumberParseException as exc:
        raise InvalidNumber(f"{raw!r} is not a phone number: {exc}") from exc
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if FICTION_MOBILE.match(e164):
        return PhoneNumber(e164, "FR", LineType.MOBILE)
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(f"{raw!r} is not a number in service ({e164})")
    kind = phonenumbers.number_type(parsed)
    region_code = phonenumbers.region_code_for_number(parsed)
    return PhoneNumber(e164, region_code, _line_type(kind))


def normalise(raw: str, region: str | None = None) -> str:
    """E.164 form of `raw`, for matching scenario numbers; raises InvalidNumber."""
    return parse(raw, region).e164


def _line_type(kind: int) -> LineType:
    if kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE):
        return LineType.MOBILE
    if kind == PhoneNumberType.FIXED_LINE:
        return LineType.FIXED
    return LineType.SPECIAL

"""Phone numbers (domain/phones.py): the formats clients send, errors 10 and 09.

Oracles: docs/contract-notes.md "Phone numbers" (formats, region FR unless `country` says
otherwise, only mobile lines eligible, ARCEP's fiction range +33 6 39 98 xx xx counts as
mobile) and the French and Belgian numbering plans (ARCEP: 06/07 mobile, 01-05 geographic,
08 special; BIPT: 04xx mobile). NANP numbers cannot be told apart (libphonenumber's FAQ:
FIXED_LINE_OR_MOBILE), so they count as mobiles.
"""

from __future__ import annotations

import pytest

from mockserver.domain.phones import InvalidNumber, LineType, PhoneNumber, normalise, parse


@pytest.mark.parametrize(
    "raw",
    ["+33612345678", "0612345678", "0033 6 12 34 56 78", "33612345678", "06 12 34 56 78",
     "06.12.34.56.78", "06-12-34-56-78", "(06) 12 34 56 78", "06/12/34/56/78", "  0612345678  "],
)  # fmt: skip
def test_every_format_clients_send_is_one_french_mobile(raw: str) -> None:
    assert parse(raw) == PhoneNumber("+33612345678", "FR", LineType.MOBILE)
    assert normalise(raw) == "+33612345678"


@pytest.mark.parametrize(
    ("raw", "region", "e164", "line"),
    [
        ("0142685300", None, "+33142685300", LineType.FIXED),  # 01: Île-de-France
        ("0800123456", None, "+33800123456", LineType.SPECIAL),  # 08 00: toll free
        ("0899123456", None, "+33899123456", LineType.SPECIAL),  # 08 99: premium rate
        ("0470123456", "BE", "+32470123456", LineType.MOBILE),  # Belgian 04xx mobile
        ("0470123456", "be", "+32470123456", LineType.MOBILE),  # country in any case
        ("0470123456", None, "+33470123456", LineType.FIXED),  # FR by default: 04 geographic
        ("+1 650 253 0000", None, "+16502530000", LineType.MOBILE),  # NANP
    ],
)
def test_line_types_and_regions(raw: str, region: str | None, e164: str, line: LineType) -> None:
    number = parse(raw, region)
    assert (number.e164, number.line_type) == (e164, line)
    assert number.eligible is (line is LineType.MOBILE)


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [("0470123456", "BE", "+32470123456"), ("0470123456", None, "+33470123456"),
     ("06 39 98 00 01", "FR", "+33639980001")],
)  # fmt: skip
def test_normalise_reads_numbers_in_the_region_given(
    raw: str, region: str | None, e164: str
) -> None:
    assert normalise(raw, region) == e164


def test_the_region_is_the_numbers_own() -> None:
    assert parse("+32470123456").region == "BE"
    assert parse("+16502530000", "FR").region == "US"


@pytest.mark.parametrize("raw", ["+33639980001", "0639980001", "+33639989999", "06 39 98 12 34"])
def test_the_fiction_range_counts_as_a_french_mobile(raw: str) -> None:
    number = parse(raw)
    assert number.region == "FR"
    assert number.line_type is LineType.MOBILE
    assert number.eligible is True


def test_next_to_the_fiction_range_numbers_are_not_in_service() -> None:
    with pytest.raises(InvalidNumber, match=r"is not a number in service \(\+33639990000\)"):
        parse("+33639990000")


@pytest.mark.parametrize("raw", ["", "   ", "abc", "06 12 34 56 7a", "+33#612345678", "06_12"])
def test_text_that_is_no_phone_number_is_error_10(raw: str) -> None:
    with pytest.raises(InvalidNumber, match=f"^{raw!r} is not a phone number$".replace("+", r"\+")):
        parse(raw)


@pytest.mark.parametrize("raw", ["+", "+999 1234", "0"])
def test_numbers_libphonenumber_cannot_parse_are_error_10(raw: str) -> None:
    with pytest.raises(InvalidNumber, match="is not a phone number: "):
        parse(raw)


def test_invalid_number_is_a_value_error() -> None:
    assert issubclass(InvalidNumber, ValueError)


@pytest.mark.parametrize(
    ("e164", "national"),
    [
        ("+33612345678", "0612345678"),
        ("+33639980001", "0639980001"),
        ("+32470123456", "0470123456"),
    ],
)
def test_the_national_form_has_no_spaces(e164: str, national: str) -> None:
    assert parse(e164).national == national

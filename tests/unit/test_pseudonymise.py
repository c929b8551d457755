"""Pseudonymiser: deterministic, plausible fakes that never contain an original.

Oracles: docs/contract-testing.md "A validating proxy" (numbers become fiction-range numbers +33 6
39 98 8x xx; names, emails, addresses, dates and subscriber ids become deterministic fakes keyed by
the seed), the module's documented ranges (birthdates 1940-2004, updated_at 2015-2024, days 1-28,
street numbers 1-120, birthplace a département 01-95) and the tables of fakes, read here as the sets
the fakes come from; properties over many originals.
"""

from __future__ import annotations

import itertools
import re

import pytest

from mockserver.domain.pseudonymise import (
    EMAIL_DOMAINS,
    FAMILY_NAMES,
    GIVEN_NAMES,
    STREETS,
    TOWNS,
    Pseudonymiser,
    personal_values,
)

ORIGINALS = [f"+336{n:08d}" for n in range(0, 40_000_000, 1_000_003)]


def test_numbers_are_in_the_recording_range_stable_and_distinct() -> None:
    fakes = Pseudonymiser(7)
    mapped = [fakes.number(n) for n in ORIGINALS]
    assert all(re.fullmatch(r"\+33639988\d{3}", m) for m in mapped)
    assert len(set(mapped)) == len(ORIGINALS)
    assert [fakes.number(n) for n in ORIGINALS] == mapped
    again, other, unseeded = Pseudonymiser(7), Pseudonymiser(8), Pseudonymiser(None)
    assert [again.number(n) for n in ORIGINALS] == mapped
    assert [other.number(n) for n in ORIGINALS] != mapped
    assert [unseeded.number(n) for n in ORIGINALS] != mapped


def test_a_number_already_in_the_range_is_never_its_own_fake() -> None:
    for seed in range(30):
        fakes = Pseudonymiser(seed)
        assert fakes.number("+33639988000") != "+33639988000"


def test_the_range_holds_1000_numbers() -> None:
    fakes = Pseudonymiser(1)
    mapped = {fakes.number(f"+3361{i:07d}") for i in range(1000)}
    assert len(mapped) == 1000
    assert fakes.number("+33610000000") in mapped  # known numbers still answer
    with pytest.raises(ValueError, match="more than 1000 distinct numbers to pseudonymise"):
        fakes.number("+33699999999")


def test_names_come_from_the_tables_of_the_right_gender_and_differ_from_the_original() -> None:
    fakes = Pseudonymiser(3)
    for original in ["Armand", "Adèle", "Jean", "Marie", "Solène", "Wilfried"]:
        male, female, either = (fakes.given_name(original, g) for g in ("M", "F", ""))
        assert male in GIVEN_NAMES["M"]
        assert male != original
        assert female in GIVEN_NAMES["F"]
        assert female != original
        assert either in GIVEN_NAMES["M"] + GIVEN_NAMES["F"]
        assert fakes.given_name(original, "M") == male
    family = [fakes.family_name(n) for n in FAMILY_NAMES]
    assert all(f in FAMILY_NAMES for f in family)
    assert all(f != n for f, n in zip(family, FAMILY_NAMES, strict=True))


def test_the_choice_depends_on_the_original() -> None:
    fakes = Pseudonymiser(3)
    assert len({fakes.family_name(f"name {i}") for i in range(40)}) > 5
    assert len({fakes.given_name(f"name {i}") for i in range(40)}) > 5


def test_a_fake_never_contains_a_value_to_avoid() -> None:
    fakes = Pseudonymiser(3, avoid=["Aubertin", "", "  "])
    fakes.avoid(["  ", "ville"])  # blanks are ignored, not "avoid everything"
    for i in range(50):
        name = fakes.family_name(f"x{i}")
        assert name != "Aubertin"
        assert "ville" not in name.lower()  # Villeneuve contains it
    short = Pseudonymiser(3, avoid=["Ar"])  # under 3 characters: only equality counts
    assert "Armand" in {short.given_name(f"x{i}", "M") for i in range(60)}


def test_avoiding_ignores_case_and_accents() -> None:
    fakes = Pseudonymiser(3, avoid=["ADELE", "berenice"])
    assert {fakes.given_name(f"x{i}", "F") for i in range(60)}.isdisjoint({"Adèle", "Bérénice"})


def test_when_every_name_is_to_avoid_a_neutral_fake_is_made() -> None:
    fakes = Pseudonymiser(3, avoid=FAMILY_NAMES)
    assert re.fullmatch(r"Rec\d{6}", fakes.family_name("x"))
    towns = Pseudonymiser(3, avoid=[town for _, town in TOWNS])
    fake = towns.address(
        {"number": "1", "street_address": "rue X", "postal_code": "1", "locality": "Y"}
    )
    assert fake["locality"] == "Recville"
    assert re.fullmatch(r"\d{5}", fake["postal_code"])


def test_an_email_is_built_from_the_fake_names() -> None:
    fakes = Pseudonymiser(3)
    email = fakes.email("jean@orange.fr", "Célestin", "Le Gaudemar")
    local, domain = email.split("@")
    assert local == "celestin.le-gaudemar"
    assert domain in EMAIL_DOMAINS
    assert (
        fakes.email("a@b", "---", "") == f"user.user@{fakes.email('a@b', 'x', 'y').split('@')[1]}"
    )


def test_dates_are_valid_within_their_years_and_not_the_original() -> None:
    fakes = Pseudonymiser(3)
    for i in range(60):
        original = f"19{40 + i % 60:02d}-0{1 + i % 9}-1{i % 10}"
        date = fakes.date("birthdate", original, 1940, 65)
        year, month, day = map(int, date.split("-"))
        assert 1940 <= year < 2005
        assert 1 <= month <= 12
        assert 1 <= day <= 28
        assert date != original
    assert len({fakes.date("birthdate", f"o{i}", 1940, 65) for i in range(30)}) > 20


def test_a_date_falls_back_to_the_first_day_when_every_draw_is_the_original() -> None:
    avoid_all = Pseudonymiser(
        3, avoid=[f"2015-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)]
    )
    assert avoid_all.date("k", "x", 2015, 1) == "2015-01-01"


def test_sub_is_an_opaque_id() -> None:
    fakes = Pseudonymiser(3)
    assert re.fullmatch(r"rec-[0-9a-f]{16}", fakes.sub("abc"))
    assert fakes.sub("abc") == Pseudonymiser(3).sub("abc") != fakes.sub("abd")


def test_an_address_keeps_the_country_and_the_empty_fields() -> None:
    fakes = Pseudonymiser(3)
    original = {"number": "12", "street_address": "rue de Paris", "postal_code": "75001",
                "locality": "Paris", "country": "FR"}  # fmt: skip
    fake = fakes.address(original)
    assert set(fake) == {"number", "street_address", "postal_code", "locality", "country"}
    assert fake["country"] == "FR"
    assert fake["street_address"] in STREETS
    assert (fake["postal_code"], fake["locality"]) in TOWNS
    assert fake["number"] != "12"
    assert 1 <= int(fake["number"]) <= 120
    sparse = fakes.address({"street_address": "rue de Paris"})
    assert (
        sparse["number"] == sparse["postal_code"] == sparse["locality"] == sparse["country"] == ""
    )
    assert sparse["street_address"] in STREETS


def test_a_street_number_is_never_the_original() -> None:
    fakes = Pseudonymiser(3)
    for number in range(1, 121):
        fake = fakes.address({"number": f" {number}", "street_address": "s", "locality": "l"})
        assert fake["number"] != str(number)
        assert 1 <= int(fake["number"]) <= 120


def test_a_subscriber_is_made_of_fakes() -> None:
    fakes = Pseudonymiser(3)
    record = {
        "given_name": "Jeanne", "family_name": "Dupont", "maiden_name": "Martin", "gender": "F",
        "birthdate": "1980-05-17", "updated_at": "2020-01-02", "birthplace": "75",
        "email": "jeanne@mail.fr", "sub": "123", "locale": "fr-BE",
        "address": {"number": "3", "street_address": "rue A", "postal_code": "75001",
                    "locality": "Paris", "country": "France"},
    }  # fmt: skip
    fake = fakes.subscriber(record)
    assert set(fake) == {"given_name", "family_name", "maiden_name", "gender", "birthdate",
                         "updated_at", "birthplace", "email", "sub", "locale", "address"}  # fmt: skip
    assert fake["given_name"] in GIVEN_NAMES["F"]
    assert fake["family_name"] in FAMILY_NAMES
    assert fake["maiden_name"] in FAMILY_NAMES
    assert (fake["gender"], fake["locale"]) == ("F", "fr-BE")
    assert 1940 <= int(fake["birthdate"][:4]) < 2005
    assert 2015 <= int(fake["updated_at"][:4]) < 2025
    assert re.fullmatch(r"\d{2}", fake["birthplace"])
    assert fake["birthplace"] != "75"
    assert 1 <= int(fake["birthplace"]) <= 95
    local, _ = fake["email"].split("@")
    assert local.split(".")[0] in {g.lower() for g in GIVEN_NAMES["F"]} | {
        "adele", "berenice", "gisele", "josephine", "leontine", "noemie", "ophelie", "philomene",
        "solene",
    }  # fmt: skip
    assert fake["sub"].startswith("rec-")
    assert fake["address"]["country"] == "France"
    text = repr(fake)
    for value in ("Jeanne", "Dupont", "Martin", "1980-05-17", "jeanne@mail.fr", "rue A", "Paris"):
        assert value not in text


def test_a_sparse_subscriber() -> None:
    fake = Pseudonymiser(3).subscriber(
        {"gender": "X", "birthdate": "1980", "address": {"country": ""}}
    )
    assert fake == {"given_name": "", "family_name": "", "gender": "", "locale": "fr-FR"}
    male = Pseudonymiser(3).subscriber({"given_name": "Paul", "gender": "M"})
    assert male["given_name"] in GIVEN_NAMES["M"]


def test_personal_values_of_a_record_and_its_address() -> None:
    record = {
        "given_name": "Jeanne", "lastname": "Dupont", "phone": "  ", "email": 5, "gender": "F",
        "subscriber_msisdn": "33612", "address": {"street_address": "rue A", "country": "FR",
                                                  "formatted": "1 rue A"},
    }  # fmt: skip
    assert sorted(personal_values(record)) == sorted(
        ["Jeanne", "Dupont", "33612", "rue A", "1 rue A"]
    )
    assert list(personal_values({"address": "rue A"})) == []


def test_without_a_seed_the_mapping_is_not_reproducible() -> None:
    first, second = Pseudonymiser(None), Pseudonymiser(None)
    assert [first.number(n) for n in ORIGINALS] != [second.number(n) for n in ORIGINALS]


def test_fakes_do_not_reveal_the_order_of_the_originals() -> None:
    fakes = Pseudonymiser(7)
    mapped = [int(fakes.number(n)[-3:]) for n in ORIGINALS]
    steps = [b - a for a, b in itertools.pairwise(mapped)]
    assert steps.count(1) < 5


def test_a_date_is_drawn_again_until_acceptable() -> None:
    # Half the days of 2015 are to avoid: each draw has an even chance, 100 draws find one.
    days = [f"2015-{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 29)]
    avoided = days[::2]
    fakes = Pseudonymiser(3, avoid=avoided)
    for i in range(20):
        date = fakes.date("k", f"o{i}", 2015, 1)
        assert date in days
        assert date not in avoided


def test_each_personal_value_drives_its_own_fake() -> None:
    fakes = Pseudonymiser(3)
    subscribers = [
        fakes.subscriber({"given_name": f"G{i}", "family_name": f"F{i}", "sub": f"s{i}"})
        for i in range(40)
    ]
    for key in ("given_name", "family_name", "sub"):
        assert len({s[key] for s in subscribers}) > 5
    for field in ("number", "street_address", "locality"):
        addresses = [
            fakes.address({"number": "1", "street_address": "s", "locality": "l", field: f"v{i}"})
            for i in range(40)
        ]
        assert len({a["street_address"] for a in addresses}) > 3


def test_draws_span_their_documented_ranges() -> None:
    fakes = Pseudonymiser(3)
    records = [
        {
            "birthdate": f"1970-01-{1 + i % 28:02d}",
            "updated_at": "2020-01-01",
            "birthplace": f"p{i}",
        }
        for i in range(600)
    ]
    # Each record fresh: its own originals to avoid.
    faked = [Pseudonymiser(i).subscriber(r) for i, r in enumerate(records)]
    births = {int(f["birthdate"][:4]) for f in faked}
    updates = {int(f["updated_at"][:4]) for f in faked}
    places = {int(f["birthplace"]) for f in faked}
    assert (min(births), max(births)) == (1940, 2004)
    assert (min(updates), max(updates)) == (2015, 2024)
    assert (min(places), max(places)) == (1, 95)
    assert all(re.fullmatch(r"\d{2}", f["birthplace"]) for f in faked)  # a département, 01-95
    months = {int(f["birthdate"][5:7]) for f in faked} | {int(f["updated_at"][5:7]) for f in faked}
    days = {int(f["birthdate"][8:]) for f in faked} | {int(f["updated_at"][8:]) for f in faked}
    assert months == set(range(1, 13))
    assert days == set(range(1, 29))
    numbers = {
        int(fakes.address({"number": "0", "street_address": f"s{i}"})["number"])
        for i in range(1200)
    }
    assert (min(numbers), max(numbers)) == (1, 120)


def test_both_genders_are_kept() -> None:
    fakes = Pseudonymiser(3)
    male = fakes.subscriber({"given_name": "Paul", "gender": "M"})
    female = fakes.subscriber({"given_name": "Anne", "gender": "F"})
    assert (male["gender"], female["gender"]) == ("M", "F")


def test_a_name_is_never_its_own_fake() -> None:
    # Each name of the tables given as the original, under many seeds: 1,440 draws.
    for seed in range(40):
        fakes = Pseudonymiser(seed)
        for name in FAMILY_NAMES:
            assert fakes.family_name(name) != name
        for name in GIVEN_NAMES["M"]:
            assert fakes.given_name(name, "M") != name


def test_a_value_of_three_characters_is_avoided_inside_a_fake() -> None:
    # The module's rule: a value of 3 characters or more is avoided anywhere in a fake.
    drawn = {Pseudonymiser(3).given_name(f"x{i}", "M") for i in range(80)}
    assert "Marius" in drawn  # drawn when nothing is avoided
    avoiding = Pseudonymiser(3, avoid=["MAR"])
    assert all("mar" not in avoiding.given_name(f"x{i}", "M").lower() for i in range(80))


def test_a_street_number_or_birthplace_drawn_equal_to_the_original_is_moved() -> None:
    # 1,000 streets per number: a first draw equal to the original happens about 8 times in
    # each, and the number given instead stays in 1-120, never the original.
    fakes = Pseudonymiser(3)
    for number in ("1", "7", "119", "120"):
        for i in range(1000):
            fake = fakes.address({"number": number, "street_address": f"s{i}"})["number"]
            assert re.fullmatch(r"[0-9]{1,3}", fake)
            assert fake != number
            assert 1 <= int(fake) <= 120
    for place in ("01", "95"):
        for seed in range(400):
            fake = Pseudonymiser(seed).subscriber({"birthplace": place})["birthplace"]
            assert re.fullmatch(r"[0-9]{2}", fake)
            assert fake != place
            assert 1 <= int(fake) <= 95


def test_each_date_birthplace_email_and_address_drives_its_own_fake() -> None:
    fakes = Pseudonymiser(3)
    faked = [
        fakes.subscriber(
            {"birthdate": f"1970-01-{1 + i:02d}", "birthplace": f"{10 + i}", "email": f"u{i}@x.fr"}
        )
        for i in range(28)
    ]
    assert len({f["birthdate"] for f in faked}) > 5
    assert len({f["birthplace"] for f in faked}) > 5
    assert len({f["email"].split("@")[1] for f in faked}) > 1
    towns = {
        fakes.address({"street_address": f"s{i}", "locality": "l"})["locality"] for i in range(40)
    }
    assert len(towns) > 3


def test_neutral_fakes_depend_on_the_original_and_keep_their_width() -> None:
    names = Pseudonymiser(3, avoid=FAMILY_NAMES)
    fallback = [names.family_name(f"x{i}") for i in range(30)]
    assert all(re.fullmatch(r"Rec[0-9]{6}", name) for name in fallback)
    assert len(set(fallback)) > 5
    towns = Pseudonymiser(3, avoid=[town for _, town in TOWNS])
    codes = [towns.address({"street_address": f"s{i}", "postal_code": "1"})["postal_code"]
             for i in range(30)]  # fmt: skip
    assert all(re.fullmatch(r"[0-9]{5}", code) for code in codes)
    assert len(set(codes)) > 5

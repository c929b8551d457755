"""Issue 13's property "a score never rises when a value is made less similar by an added edit",
in the strongest form the tiered rules keep (docs/matching-scores.md, "When an edit can raise
a score").

It holds for the scorers built on the normalised Indel ratio (street, locality, email), for
an edit of the part the rule compares, across their tiers (equal, separators only, fuzzy):
the Indel ratio 1 - d / (len a + len b) falls when the distance d grows by an insertion,
deletion or substitution. It does not hold for names, even within the fuzzy rule (Jaro-Winkler
counts letters in common within a window, whatever their order), nor across the initials,
postal-code and country tiers: the examples are pinned below as documented exceptions.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import assume, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Indel

from mockserver.domain.folding import Explained
from mockserver.domain.scoring import explain_country, explain_email, explain_name
from mockserver.domain.scoring_address import (
    explain_locality,
    explain_postal_code,
    explain_street,
    street_data,
)

# Words a rule reads rather than compares (street types, articles, st -> saint...; CEDEX):
# an edit that makes or unmakes one changes what is compared, not how far apart it is.
RULE_WORDS = (
    set(street_data().types) | set(street_data().words) | street_data().articles | {"cedex"}
)

# How each scorer is handed one compared word: (the value around it, the scorer).
Wrap = Callable[[str], str]
INDEL_SCORERS: dict[str, tuple[Wrap, Callable[[str, str], Explained]]] = {
    "street name": (lambda w: f"12 rue {w}", lambda a, b: explain_street(a, "", b, "")),
    # One word: two towns sharing a leading word are compared after it (an exception below).
    "locality": (lambda w: w.replace(".", ""), explain_locality),
    "email local part": (lambda w: f"{w}@example.com", explain_email),
}
HELD = ["paix", "capucines", "rivoli", "bordeaux", "lyon", "jean.dupont", "marie.curie", "foch"]
LETTERS = "abcdefghijklmnopqrstuvwxyz"
words = st.text(alphabet=LETTERS + ".", min_size=1, max_size=12)
edits = st.tuples(st.sampled_from("ids"), st.integers(0, 12), st.sampled_from(LETTERS + "."))


def edited(word: str, edit: tuple[str, int, str]) -> str:
    """`word` with one letter inserted (i), deleted (d) or substituted (s) at a position."""
    op, at, letter = edit
    at = min(at, len(word))
    if op == "i":
        return word[:at] + letter + word[at:]
    at = min(at, len(word) - 1)
    return word[:at] + ("" if op == "d" else letter) + word[at + 1 :]


def compared(word: str) -> str:
    """What the rules compare of a word: streets and towns drop the dots (as punctuation)."""
    return word.replace(".", "")


# Derandomised by the profile (conftest.py); more examples than its default, the edits being
# filtered to those that move away from the record (about half of them).
@settings(max_examples=200)
@given(
    st.sampled_from(sorted(INDEL_SCORERS)),
    st.sampled_from(HELD),
    st.one_of(st.sampled_from(HELD), words),
    edits,
)
def test_an_edit_away_never_raises_an_indel_score(
    kind: str, held: str, typed: str, edit: tuple[str, int, str]
) -> None:
    wrap, explain = INDEL_SCORERS[kind]
    after = edited(typed, edit)
    assume(typed.strip(".") and after.strip("."))
    strip = (lambda w: w) if kind == "email local part" else compared
    assume(not {*typed.split("."), *after.split(".")} & RULE_WORDS)
    further = Indel.distance(strip(after), strip(held)) > Indel.distance(strip(typed), strip(held))
    assume(further)
    before_score = explain(wrap(typed), wrap(held)).score
    after_score = explain(wrap(after), wrap(held)).score
    assert isinstance(before_score, float)
    assert isinstance(after_score, float)
    assert after_score <= before_score


# (scorer, value, the value one edit further from the record, record, score before, after):
# an edit that leaves a low tier (initials, another arrondissement, another country) for the
# fuzzy rule or a tier above, or that Jaro-Winkler rates closer, raises the score.
EXCEPTIONS = [
    (explain_name, "Jean P", "Jean Px", "Jean Pierre", 0.7, 0.75),  # initials tier < fuzzy
    (explain_name, "sia", "sila", "Laetitia", 0.42, 0.47),  # JW: l, i, a in common
    (explain_postal_code, "75020", "75120", "75002", 0.0, 0.3),  # arrondissement -> department
    (explain_country, "lk", "6lk", "France", 0.0, 0.11),  # Sri Lanka -> no country
    # a typo in the shared leading word: santdenis / saintdizier (1 - 8/20), not denis / dizier
    (explain_locality, "Saint-Denis", "Sant-Denis", "Saint-Dizier", 0.36, 0.6),
]


def test_the_documented_exceptions_rise() -> None:
    for explain, typed, further, held, before, after in EXCEPTIONS:
        assert Indel.distance(further.lower(), held.lower()) > Indel.distance(
            typed.lower(), held.lower()
        )
        assert (explain(typed, held).score, explain(further, held).score) == (before, after)

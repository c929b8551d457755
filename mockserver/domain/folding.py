"""Text folding shared by the scorers: one comparable form of a name or address part."""

from __future__ import annotations

import unicodedata
from typing import NamedTuple

from mockserver.domain.memo import memoised

# Letters NFKD does not decompose (they are letters of their own, not a base and an accent):
# French ligatures and the few others a form may carry.
_LETTERS = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "\u0131": "i"})


# fold() is pure and called ~28 times per matching request on a handful of distinct values
# (the user's and the record's fields): memoised, bounded, so a repeated value costs a lookup.
FOLD_CACHE_SIZE = 2048


@memoised(FOLD_CACHE_SIZE)
def fold(text: str) -> str:
    """Lower-case ASCII-like form: accents dropped, æ/œ spelled out, punctuation as spaces.

    Invariant to the Unicode normalisation form (NFC/NFD/NFKC), case and surrounding
    whitespace; hyphens, apostrophes and dots become single spaces: "d'Œuvre-Lætitia"
    gives "d oeuvre laetitia".
    """
    decomposed = unicodedata.normalize("NFKD", text).casefold().translate(_LETTERS)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = "".join(c if c.isalnum() else " " for c in plain)
    return " ".join(cleaned.split())


def compact(text: str) -> str:
    """fold() without spaces: "Jean-Pierre" and "jean pierre" both give "jeanpierre"."""
    return fold(text).replace(" ", "")


def hundredths(value: float) -> float:
    """`value` rounded to two decimals, as a float that pack() stores exactly."""
    return round(value * 100) / 100


Score = float | str


class Explained(NamedTuple):
    """A score ("" or 0..1, two decimals) with the rule that produced it, and what was compared.

    `rule` names the rule without figures computed from the values (a label that two values
    scored by the same rule share); `typed` and `held` are the user's and the record's values.
    """

    score: Score
    rule: str
    typed: str = ""
    held: str = ""


NOT_TYPED = Explained("", "not typed: not compared")
NOTHING_HELD = Explained(0.0, "the record holds nothing")

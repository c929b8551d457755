"""Number patterns of scenario files, matched by RE2: time linear in the number's length.

Python's `re` backtracks: a pattern such as `^(\\+?3+)+$` takes seconds (or forever) on a
long number that does not match, and would stall every request. RE2 (google-re2) never
backtracks, and refuses what it cannot run in linear time (backreferences, lookarounds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import re2

# The compiled program's memory, in bytes (RE2's default is 8 MiB). RE2's compile holds the
# GIL, and its time grows with the square of the program's size: at 8 MiB, `x{1,1000}`
# written 55 times (495 characters) took 10 s to compile and `x{1,9}` 8,000 times 8.9 s,
# blocking every client. At 64 KiB (at most ~5,400 instructions) the worst we could build
# under the schema's 256-character cap (`x{0,300}` 9 times, `x{1,1000}` twice, nested
# counted repetitions, alternations, Unicode classes) compiled in 30 ms on a loaded 2-core
# machine (tests/test_scenario_documents.py measures it again); a phone-number pattern
# needs a few dozen instructions (`^\+33[67]\d{8}$` 13, `\pN{8,15}` 3,506). Past it:
# "pattern too large".
MAX_PATTERN_MEMORY = 64 << 10
# About the most instructions MAX_PATTERN_MEMORY holds: what a refused pattern may have cost.
MAX_PATTERN_INSTRUCTIONS = 5_500
# RE2 instructions of all the patterns of one document: compile time grows with each
# pattern's size times the total, so 1,000 patterns of the worst kind cannot block for 30 s.
# About 1,000 phone-number patterns, or three of the worst; past it the remaining patterns
# are refused, with their line.
MAX_DOCUMENT_PATTERN_INSTRUCTIONS = 20_000


class PatternError(ValueError):
    """RE2 cannot compile the pattern; str() says why, in RE2's words."""


@dataclass(frozen=True)
class NumberPattern:
    """A regular expression searched in the E.164 form of a number (`+33...`)."""

    pattern: str
    _regex: Any = field(compare=False, repr=False)

    @classmethod
    def compile(cls, pattern: str) -> NumberPattern:
        """Compile with RE2; PatternError if RE2 cannot (Python-only syntax, too large, or
        text that is not Unicode characters: a lone surrogate such as a JSON `\\ud800`)."""
        options = re2.Options()
        options.log_errors = False  # the loader reports the problem, with file and line
        options.max_mem = MAX_PATTERN_MEMORY
        try:
            # RE2 takes UTF-8; a surrogate code point has no UTF-8 form (found by Schemathesis:
            # the UnicodeEncodeError escaped as an HTTP 500 of POST /__admin/scenarios).
            pattern.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise PatternError(
                f"it holds the surrogate code point U+{ord(pattern[exc.start]):04X}, "
                "which is not a character (write the character itself, in UTF-8)"
            ) from exc
        try:
            regex = re2.compile(pattern, options)
        except re2.error as exc:
            reason = exc.args[0] if exc.args else exc
            if isinstance(reason, bytes):
                reason = reason.decode("utf-8", "replace")
            raise PatternError(f"{reason} ({_hint(str(reason))})") from exc
        return cls(pattern, regex)

    @property
    def program_size(self) -> int:
        """The compiled program's size, in RE2 instructions."""
        return int(self._regex.programsize)

    def search(self, text: str) -> bool:
        """Does the pattern match anywhere in `text`?"""
        return self._regex.search(text) is not None


def _hint(reason: str) -> str:
    if "too large" in reason:
        return (
            f"its compiled program may take at most {MAX_PATTERN_MEMORY >> 10} KiB: "
            "write fewer or smaller counted repetitions such as {1,1000}"
        )
    return "backreferences and lookarounds are not supported"

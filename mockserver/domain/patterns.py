"""Number patterns of scenario files, matched by RE2: time linear in the number's length.

Python's `re` backtracks: a pattern such as `^(\\+?3+)+$` takes seconds (or forever) on a
long number that does not match, and would stall every request. RE2 (google-re2) never
backtracks, and refuses what it cannot run in linear time (backreferences, lookarounds).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import re2

# The compiled program's memory, in bytes (RE2's own default is 8 MiB): a pattern whose
# automaton would need more (`(a{1000}){1000}`) is refused rather than built.
MAX_PATTERN_MEMORY = 8 << 20


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
            raise PatternError(str(reason)) from exc
        return cls(pattern, regex)

    def search(self, text: str) -> bool:
        """Does the pattern match anywhere in `text`?"""
        return self._regex.search(text) is not None

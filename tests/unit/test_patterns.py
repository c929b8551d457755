"""NumberPattern: RE2 syntax, linear time, and the messages a refused pattern gets.

Oracles: docs/scenarios.md (patterns in RE2 syntax, searched in the E.164 form;
backreferences and lookarounds refused; a program over 64 KiB refused as "pattern too large";
a lone surrogate refused) and RE2's own syntax.
"""

from __future__ import annotations

import pytest

from mockserver.domain.patterns import NumberPattern, PatternError


@pytest.mark.parametrize(
    ("pattern", "text", "found"),
    [
        (r"^\+33[67]\d{8}$", "+33612345678", True),
        (r"^\+33[67]\d{8}$", "+33112345678", False),
        ("77$", "+33639987077", True),  # searched anywhere, not matched from the start
        ("^77", "+33639987077", False),
        (r"\pN{11}", "+33612345678", True),  # RE2 syntax: \pN is any digit
    ],
)
def test_search_finds_the_pattern_anywhere_in_the_number(
    pattern: str, text: str, found: bool
) -> None:
    assert NumberPattern.compile(pattern).search(text) is found


def test_patterns_compare_by_their_text() -> None:
    assert NumberPattern.compile("^1") == NumberPattern.compile("^1")
    assert NumberPattern.compile("^1").pattern == "^1"


@pytest.mark.parametrize("pattern", [r"(3)\1", "(?=33)", "(?<=3)3"])
def test_backreferences_and_lookarounds_are_refused_with_the_hint(pattern: str) -> None:
    with pytest.raises(PatternError) as caught:
        NumberPattern.compile(pattern)
    assert str(caught.value).endswith("(backreferences and lookarounds are not supported)")


def test_a_program_over_64_kib_is_too_large_with_its_hint() -> None:
    with pytest.raises(PatternError) as caught:
        NumberPattern.compile("x{1,1000}" * 3)
    message = str(caught.value)
    assert message.startswith("pattern too large")
    assert message.endswith(
        "(its compiled program may take at most 64 KiB: "
        "write fewer or smaller counted repetitions such as {1,1000})"
    )


def test_a_lone_surrogate_is_named_in_the_message() -> None:
    with pytest.raises(PatternError) as caught:
        NumberPattern.compile("^\\+33\ud800")
    assert str(caught.value) == (
        "it holds the surrogate code point U+D800, which is not a character "
        "(write the character itself, in UTF-8)"
    )


def test_program_size_counts_instructions() -> None:
    small = NumberPattern.compile("^1$").program_size
    large = NumberPattern.compile(r"^\+33[67]\d{8}$").program_size
    assert 0 < small < large


def test_a_refused_pattern_writes_nothing_to_stderr(capfd: pytest.CaptureFixture[str]) -> None:
    # The loader reports the problem with file and line; RE2's own log would repeat it.
    with pytest.raises(PatternError):
        NumberPattern.compile("(")
    assert capfd.readouterr().err == ""

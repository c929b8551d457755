"""parse_document: bounded YAML, every problem as `file:line: reason`.

Oracles: docs/limits.md "Scenario documents and hot reload" limits table and the paragraph under it
(empty document, forbidden characters, lone surrogates, duplicate keys at the second, `<<` overrides
allowed, .nan/.inf refused, 2024-13-45 refused, an alias containing itself, nesting of 32 levels,
numbers of 32 characters, expanded size capped like the text, 100 problems of 300 characters), the
YAML 1.1 spec for what a text means, and JSON Pointer (RFC 6901) for the line index.
"""

from __future__ import annotations

import pytest

from mockserver.domain.yamldoc import (
    MAX_DEPTH,
    ScenarioFileError,
    line_for,
    parse_document,
    too_large,
)


def problems(text: str, max_bytes: int = 256 * 1024) -> list[tuple[int, str]]:
    with pytest.raises(ScenarioFileError) as caught:
        parse_document(text, "f.yaml", max_bytes)
    assert caught.value.source == "f.yaml"
    return caught.value.problems


def test_data_and_the_line_of_each_pointer() -> None:
    text = "version: 1\nscenarios:\n  - id: a\n    match: {any: true}\n  - id: b\n"
    data, lines = parse_document(text, "f.yaml")
    assert data == {"version": 1, "scenarios": [{"id": "a", "match": {"any": True}}, {"id": "b"}]}
    assert lines == {
        "": 1,
        "/version": 1,
        "/scenarios": 2,
        "/scenarios/0": 3,
        "/scenarios/0/id": 3,
        "/scenarios/0/match": 4,
        "/scenarios/0/match/any": 4,
        "/scenarios/1": 5,
        "/scenarios/1/id": 5,
    }


def test_an_alias_is_indexed_where_it_is_first_reached() -> None:
    text = "a: &x\n  k: 1\nb: *x\nc:\n  d: 2\n"
    data, lines = parse_document(text, "f.yaml")
    assert data == {"a": {"k": 1}, "b": {"k": 1}, "c": {"d": 2}}
    assert lines == {"": 1, "/a": 1, "/a/k": 2, "/b": 3, "/c": 4, "/c/d": 5}


def test_a_key_that_is_not_a_scalar_is_refused() -> None:
    assert problems("w: 1\n? [1, 2]\n: v\n") == [(2, "YAML value: found unhashable key")]


@pytest.mark.parametrize(
    ("pointer", "line"),
    [("/a/b/c", 3), ("/a/b", 3), ("/a/zz/c", 2), ("/q", 1), ("", 1), ("/a", 2)],
)
def test_line_for_falls_back_to_the_nearest_ancestor(pointer: str, line: int) -> None:
    assert line_for({"": 1, "/a": 2, "/a/b": 3}, pointer) == line


def test_line_for_with_no_line_at_all_is_line_1() -> None:
    assert line_for({}, "/a/b") == 1


@pytest.mark.parametrize("text", ["", "# a comment only\n", "~\n", "null\n", "---\n"])
def test_an_empty_document_is_refused(text: str) -> None:
    assert problems(text) == [(1, "the document is empty")]


def test_a_text_over_the_cap_is_refused_with_its_size_in_utf8_bytes() -> None:
    text = "a: " + "é" * 10 + "\n"  # 3 + 20 + 1 bytes
    assert problems(text, max_bytes=23) == [
        (1, "the document is 24 bytes, over the limit of 23 (--max-scenario-bytes)")
    ]
    assert parse_document(text, "f.yaml", max_bytes=24)[0] == {"a": "é" * 10}


def test_too_large_names_the_option() -> None:
    assert str(too_large("g.yaml", 10, 5)) == (
        "g.yaml:1: the document is 10 bytes, over the limit of 5 (--max-scenario-bytes)"
    )


def test_a_syntax_error_has_its_line() -> None:
    [(line, message)] = problems("a: 1\nb: [1,\nc: 2\n")
    assert line == 4
    assert message.startswith("YAML syntax: ")


def test_a_forbidden_character_gives_its_escape() -> None:
    assert problems("a: 1\nb: x\x07y\n") == [
        (
            2,
            "YAML does not allow the character U+0007 (control characters and a few others) "
            'in a document; write it as an escape inside double quotes: "\\x07"',
        )
    ]


def test_a_forbidden_character_past_latin1_gives_a_u_escape() -> None:
    [(line, message)] = problems("a: \ufffe\n")
    assert line == 1
    assert message.startswith("YAML does not allow the character U+FFFE ")
    assert message.endswith('"\\ufffe"')


def test_nesting_deeper_than_32_is_refused() -> None:
    assert parse_document("[" * MAX_DEPTH + "]" * MAX_DEPTH, "f.yaml")[0] is not None
    assert problems("\n" + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)) == [
        (2, "nested more than 32 levels deep")
    ]


def test_nesting_through_aliases_counts_expanded() -> None:
    half = 20
    text = "a: &x " + "[" * half + "]" * half + "\nb: " + "[" * half + "*x" + "]" * half + "\n"
    assert problems(text) == [(2, "with its aliases written out, nested more than 32 levels")]


def test_an_alias_expansion_over_the_cap_is_refused() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefg"):
        prev = "abcdefg"[i]
        lines.append(f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}]")
    text = "\n".join(lines) + "\n"
    found = problems(text, max_bytes=4096)
    assert len(found) == 1
    assert found[0][1] == (
        "with its aliases written out, this part of the document is over the limit of "
        "4096 bytes (--max-scenario-bytes)"
    )


def test_the_expanded_size_is_exact_at_the_cap() -> None:
    # A scalar counts its characters + 1, a list or mapping 1 + its children, an alias
    # what it refers to: 1 + ("a" 2 + [aaaaaaaaaa] 12) + ("b" 2 + [*x, *x, *x] 1 + 3 * 12) = 54
    # for a text of 36 bytes.
    text = "a: &x [aaaaaaaaaa]\nb: [*x, *x, *x]\n"
    assert parse_document(text, "f.yaml", max_bytes=54)[0]["b"] == [["a" * 10]] * 3
    assert problems(text, max_bytes=53) == [
        (
            1,
            "with its aliases written out, this part of the document is over the limit of "
            "53 bytes (--max-scenario-bytes)",
        )
    ]


def test_an_alias_that_contains_itself_is_refused() -> None:
    assert problems("a: &x [1, *x]\n") == [(1, "a YAML alias refers to the node that contains it")]


@pytest.mark.parametrize("number", ["1" * 33, "0b" + "1" * 31, "1." + "0" * 31])
def test_a_number_of_more_than_32_characters_is_refused(number: str) -> None:
    assert problems(f"a: 1\nb: {number}\n") == [(2, "a number of more than 32 characters")]


def test_a_number_of_32_characters_or_a_long_string_is_fine() -> None:
    data, _ = parse_document(f"a: {'1' * 32}\nb: '{'1' * 40}'\n", "f.yaml")
    assert data == {"a": int("1" * 32), "b": "1" * 40}


@pytest.mark.parametrize(("value", "shown"), [(".nan", "nan"), ("-.inf", "-inf"), (".inf", "inf")])
def test_a_number_that_is_not_finite_is_refused_at_its_line(value: str, shown: str) -> None:
    assert problems(f"a:\n  - 1.5\n  - {value}\n") == [(3, f"/a/1: {shown} is not a finite number")]


def test_every_non_finite_number_is_listed() -> None:
    found = problems("x: .nan\ny: {z: .inf}\n")
    assert found == [(1, "/x: nan is not a finite number"), (2, "/y/z: inf is not a finite number")]


def test_a_value_yaml_cannot_build_is_refused_with_its_line() -> None:
    [(line, message)] = problems("a: 1\nday: 2024-13-45\n")
    assert line == 2
    assert message.startswith("YAML value: cannot read this value: ")


def test_an_unknown_tag_is_a_value_error() -> None:
    [(line, message)] = problems("a: 1\nb: !!python/object:os.system x\n")
    assert line == 2
    assert message.startswith("YAML value: ")


@pytest.mark.parametrize(
    "text",
    ['a: "x\\ud800"\n', '"\\udfff": 1\n', 'a: [1, "\\ud800\\udc00"]\n'],
)
def test_a_lone_surrogate_is_refused(text: str) -> None:
    [(line, message)] = problems(text)
    assert line == 1
    assert ' is a lone UTF-16 surrogate (an escape such as "\\ud800"), not Unicode text' in message
    assert message.startswith("U+D")


def test_a_key_written_twice_is_refused_at_the_second() -> None:
    assert problems("version: 1\na: 2\nversion: 1\n") == [(3, "duplicate key 'version'")]


@pytest.mark.parametrize("text", ["1: a\n0x1: b\n", "true: a\nyes: b\n", "~: a\nnull: b\n"])
def test_keys_are_compared_by_what_they_mean(text: str) -> None:
    [(line, message)] = problems(text)
    assert line == 2
    assert message.startswith("duplicate key ")


@pytest.mark.parametrize("text", ['1: a\n"1": b\n', "a: 1\nb: 2\n", "1: a\n2: b\n"])
def test_keys_that_differ_in_meaning_are_two(text: str) -> None:
    assert len(parse_document(text, "f.yaml")[0]) == 2


def test_a_key_after_a_merge_overrides_it() -> None:
    data, _ = parse_document("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  x: 3\n", "f.yaml")
    assert data["c"] == {"x": 3, "y": 2}


def test_a_date_key_that_cannot_be_built_is_a_value_error_not_a_crash() -> None:
    [(_, message)] = problems("2024-13-45: a\n")
    assert message.startswith("YAML value: ")


def test_problems_are_sorted_bounded_and_shortened() -> None:
    error = ScenarioFileError("s", [(5, "b"), (2, "x" * 400), (5, "a")])
    assert error.problems == [(2, "x" * 299 + "…"), (5, "a"), (5, "b")]
    assert str(error) == f"s:2: {'x' * 299}…\ns:5: a\ns:5: b"
    exact = ScenarioFileError("s", [(1, "y" * 300)])
    assert exact.problems == [(1, "y" * 300)]


def test_more_than_100_problems_are_summed_up() -> None:
    error = ScenarioFileError("s", [(i, "p") for i in range(1, 106)])
    assert len(error.problems) == 101
    assert error.problems[99] == (100, "p")
    assert error.problems[-1] == (100, "... and 5 more problems")
    assert len(ScenarioFileError("s", [(i, "p") for i in range(1, 101)]).problems) == 100


def test_a_scalar_document_is_not_empty() -> None:
    assert parse_document("hello\n", "f.yaml")[0] == "hello"


def test_nesting_is_counted_past_siblings() -> None:
    # 33 levels in all (2 + 31), reached after a sibling list closed at level 3.
    text = "[[[], " + "[" * 31 + "]" * 31 + "]]"
    assert problems(text) == [(1, "nested more than 32 levels deep")]


def test_a_scalar_adds_no_level_to_the_expanded_nesting() -> None:
    # Root mapping 1 + 11 lists + the 20 lists of x = 32 levels, a scalar at the bottom.
    text = "a: &x " + "[" * 20 + "1" + "]" * 20 + "\nb: " + "[" * 11 + "*x" + "]" * 11 + "\n"
    assert parse_document(text, "f.yaml")[0]["a"] is not None


def test_a_syntax_error_message_does_not_repeat_the_location() -> None:
    [(_, message)] = problems("a: [1,\n")
    assert "line" not in message
    assert "<unicode string>" not in message


def test_a_forbidden_character_after_a_first_blank_line_is_on_line_2() -> None:
    assert problems("\nb: \x07\n")[0][0] == 2


def test_the_surrogate_message_ends_with_the_escape_to_write() -> None:
    [(_, message)] = problems('a: "\\ud800"\n')
    assert message == (
        'U+D800 is a lone UTF-16 surrogate (an escape such as "\\ud800"), not Unicode text; '
        'write the character itself or its "\\U0001F600" escape'
    )


def test_a_duplicate_key_after_a_key_that_is_not_a_scalar_is_found() -> None:
    assert problems("? [1]\n: a\nb: 1\nb: 2\n") == [(4, "duplicate key 'b'")]

"""The charsets a request body may name, and text decoded strictly in one of them.

A `charset` parameter is looked up among Python's codecs, which also hold codecs that are no
character set at all (`punycode`, `idna`, `unicode_escape`, `undefined`, `rot13`): decoded
with those, a body raises unexpected errors or turns into other text without a word. Only
the ASCII-compatible character sets that web forms are sent in are read; anything else is
refused as the endpoint's decode error. The list follows the WHATWG Encoding Standard's
legacy single- and multi-byte encodings (https://encoding.spec.whatwg.org/#names-and-labels)
that Python has.
"""

from __future__ import annotations

import codecs

DEFAULT_CHARSET = "utf-8"
_READ = (
    "utf-8",
    "us-ascii",
    *(f"iso-8859-{n}" for n in (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 13, 14, 15, 16)),
    *(f"windows-{n}" for n in range(1250, 1259)),
    "cp866",
    "koi8-r",
    "koi8-u",
    "macintosh",
    "gbk",
    "gb18030",
    "big5",
    "euc-jp",
    "shift_jis",
    "euc-kr",
)
TEXT_CODECS = frozenset(codecs.lookup(name).name for name in _READ)


class CharsetError(ValueError):
    """The text cannot be decoded: an unknown or unsupported charset, or invalid bytes."""


def codec_of(charset: str | None) -> str:
    """The Python codec name of a Content-Type `charset` (UTF-8 when none is named).

    Raises CharsetError for a name that is unknown or not a character set the mock reads.
    """
    if not charset:
        return DEFAULT_CHARSET
    shown = charset if len(charset) <= 40 else charset[:40] + "…"
    try:
        name = codecs.lookup(charset).name
    except (LookupError, ValueError) as exc:
        raise CharsetError(f"the charset {shown!r} is unknown") from exc
    if name not in TEXT_CODECS:
        raise CharsetError(
            f"the charset {shown!r} is not a character set for form data "
            "(send UTF-8, or name one such as ISO-8859-1 or windows-1252)"
        )
    return name


def decode_text(raw: bytes, charset: str | None, what: str = "the body") -> str:
    """`raw` decoded strictly in `charset` (see codec_of); CharsetError if it cannot be."""
    codec = codec_of(charset)
    try:
        return raw.decode(codec)
    except UnicodeError as exc:
        reason = getattr(exc, "reason", "invalid bytes")
        raise CharsetError(f"{what} is not valid {codec} ({reason})") from exc

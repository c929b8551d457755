"""Client conformance beyond the schemas: what the mock accepts leniently but the docs do not.

Each lenient acceptance is a *note* (NOTE_KINDS: a stable id, what it means, the part of the
docs it departs from). The journal lists a request's notes in every mode; in strict mode
(`serve --strict`, the pytest plugin) they also join the request's violations, so a client's
test suite learns that a real DQE server may answer differently.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from mockserver.contract.schemas import REQUEST_SCHEMAS, contract
from mockserver.contract.scopes import scope_values, takes_mode

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
JSON = "application/json"
# The spelling each documentation page uses; the mock accepts both (see Contract notes).
DOCUMENTED_LICENCE = {"ACCESS_TOKEN": "licence", "IDMOBILE": "licence", "GET": "Licence"}
PAGES = {
    "ACCESS_TOKEN": "ID Mobile — Token",
    "IDMOBILE": "ID Mobile — Matching without OTP / numVerify / formfilling (Step 1)",
    "GET": "numVerify / formfilling (Step 2)",
}
# A number whose leading `+` was not percent-encoded: a query or form decodes it as a space.
_PLUS_AS_SPACE = re.compile(r"^ \d")
_NEUTRAL_CHARSETS = frozenset({"utf-8", "ascii"})  # what UTF-8 reads the same


@dataclass(frozen=True)
class NoteKind:
    """One kind of lenient acceptance: its stable id, what it means, the docs' rule."""

    id: str
    meaning: str
    rule: str


NOTE_KINDS = (
    NoteKind(
        "json-body",
        "a POST body in JSON (an object of text, numbers, booleans, nulls), read as the parameters",
        "POST request: parameters in the body, x-www-form-urlencoded",
    ),
    NoteKind(
        "multipart-body",
        "a POST body in multipart/form-data, its text fields read as the parameters",
        "POST request: parameters in the body, x-www-form-urlencoded",
    ),
    NoteKind(
        "other-body-type",
        "a POST body of another Content-Type (text/plain...) that is blank, ignored",
        "POST request: parameters in the body, x-www-form-urlencoded",
    ),
    NoteKind(
        "query-on-post",
        "a POST with parameters in its query string (the body wins when both have one)",
        "POST request: parameters in the body",
    ),
    NoteKind(
        "charset",
        "a form body in a charset other than UTF-8, named in its Content-Type",
        "POST request: x-www-form-urlencoded, which is UTF-8 (WHATWG URL Standard)",
    ),
    NoteKind(
        "compressed-body",
        "a body sent with Content-Encoding gzip or deflate, decompressed by the mock",
        "POST request: a plain x-www-form-urlencoded body",
    ),
    NoteKind(
        "plus-as-space",
        "a `number` starting with a space then a digit: a `+` sent without percent-encoding "
        "(%2B), which the query or form decodes as a space; the mock reads the number anyway",
        "GET request: number={NUM} in a URL, where `+` means a space",
    ),
    NoteKind(
        "licence-spelling",
        "`Licence` on /ACCESS_TOKEN/ or /IDMOBILE/, `licence` on /GET/, or both spellings "
        "(the mock reads `licence` first)",
        "each page's parameter table: licence (token, Step 1), Licence (Step 2)",
    ),
    NoteKind(
        "undocumented-parameter",
        "a parameter the endpoint's page does not list, ignored",
        "each page's parameter table",
    ),
    NoteKind(
        "mode-ignored",
        "`mode` sent with a scope that takes none (numVerify), ignored",
        "numVerify, Step 1: the parameter table has no mode",
    ),
    NoteKind(
        "repeated-parameter",
        "a parameter sent more than once; the mock uses the first value",
        "each page's parameter table: one value per parameter",
    ),
    NoteKind(
        "no-trailing-slash",
        "an endpoint path without its trailing slash (/IDMOBILE for /IDMOBILE/)",
        "each page's request URL: /ACCESS_TOKEN/, /IDMOBILE/, /GET/",
    ),
)
KINDS = {kind.id: kind for kind in NOTE_KINDS}


@dataclass(frozen=True)
class Note:
    """One lenient acceptance of one request: kind id, sentence, documentation page."""

    id: str
    message: str
    page: str


@dataclass(frozen=True)
class RequestShape:
    """What the notes look at: how the request arrived, beyond its decoded parameters.

    `content_type` is "" when there is no body; `charset` and `content_encoding` as sent
    ("" when absent); `query_keys` are a POST's query parameter names; `repeated` the names
    sent more than once in the query or the form.
    """

    endpoint: str
    method: str
    params: Mapping[str, str]
    content_type: str = ""
    path: str = ""
    charset: str = ""
    content_encoding: str = ""
    query_keys: tuple[str, ...] = ()
    repeated: tuple[str, ...] = ()


def lenient_notes(shape: RequestShape) -> list[Note]:
    """The notes of a request to /ACCESS_TOKEN/, /IDMOBILE/ or /GET/, in NOTE_KINDS order
    (several of one kind in parameter-name order). Pages: PAGES (the endpoint's page)."""
    page = PAGES[shape.endpoint]
    found = [*_body_notes(shape), *_parameter_notes(shape)]
    if shape.path and not shape.path.endswith("/"):
        found.append(("no-trailing-slash", f"{shape.path} has no trailing slash"))
    order = list(KINDS)
    found.sort(key=lambda pair: order.index(pair[0]))
    return [
        Note(kind, f"{text}; the docs: {KINDS[kind].rule} — see {page} (note {kind})", page)
        for kind, text in found
    ]


def _body_notes(shape: RequestShape) -> list[tuple[str, str]]:
    found = []
    post = shape.method == "POST"
    if post and shape.content_type == JSON:
        found.append(("json-body", f"POST body is {JSON}"))
    if post and shape.content_type == MULTIPART:
        found.append(("multipart-body", f"POST body is {MULTIPART}"))
    if post and shape.content_type not in (FORM, MULTIPART, JSON, ""):
        found.append(("other-body-type", f"POST body is {shape.content_type}"))
    if post and shape.query_keys:
        keys = ", ".join(sorted(set(shape.query_keys)))
        found.append(("query-on-post", f"POST carries query parameters ({keys})"))
    if post and shape.content_type == FORM and _named_charset(shape.charset):
        found.append(("charset", f"the form body is in {shape.charset}"))
    codings = [c.strip().lower() for c in shape.content_encoding.split(",")]
    compressed = [c for c in codings if c and c != "identity"]
    if post and compressed:
        found.append(("compressed-body", f"the body is {', '.join(compressed)}-compressed"))
    return found


def _parameter_notes(shape: RequestShape) -> list[tuple[str, str]]:
    names = list(shape.params)
    found = []
    number = shape.params.get("number", "")
    if shape.endpoint == "IDMOBILE" and _PLUS_AS_SPACE.match(number):
        found.append(("plus-as-space", "/number: starts with a space (an unencoded '+'?)"))
    spelling = DOCUMENTED_LICENCE[shape.endpoint]
    other = "Licence" if spelling == "licence" else "licence"
    if other in names and spelling not in names:
        found.append(
            ("licence-spelling", f"/{other}: the docs spell it {spelling!r} on /{shape.endpoint}/")
        )
    elif other in names:
        found.append(("licence-spelling", "/licence: both spellings sent; the mock read 'licence'"))
    for name in sorted(set(names) - _documented(shape.endpoint)):
        found.append(
            (
                "undocumented-parameter",
                f"/{name}: parameter {name!r} is not documented for /{shape.endpoint}/",
            )
        )
    scope = shape.params.get("scope", "")
    if shape.endpoint == "IDMOBILE" and "mode" in shape.params and _takes_no_mode(scope):
        found.append(("mode-ignored", f"/mode: {scope} takes no mode"))
    for name in sorted(set(shape.repeated)):
        found.append(
            ("repeated-parameter", f"/{name}: sent more than once; the mock used the first value")
        )
    return found


@cache
def _documented(endpoint: str) -> frozenset[str]:
    """The parameters the endpoint's request schema names (read once, not per request)."""
    return frozenset(contract().schemas[REQUEST_SCHEMAS[endpoint]]["properties"])


def _takes_no_mode(scope: str) -> bool:
    """Is `scope` a known scope outside common.schema.json's mode_scope (numVerify)?"""
    return scope in scope_values() and not takes_mode(scope)


def _named_charset(charset: str) -> bool:
    """Does the Content-Type name a charset that UTF-8 would not read the same?"""
    if not charset:
        return False
    try:
        return codecs.lookup(charset).name not in _NEUTRAL_CHARSETS
    except LookupError:
        return True


def strict_notes(
    endpoint: str,
    method: str,
    content_type: str,
    params: Iterable[str] | Mapping[str, str],
    query_keys: Iterable[str] = (),
    repeated: Iterable[str] = (),
) -> list[str]:
    """The sentences of lenient_notes for what the proxy sees of a request (no path,
    charset or coding): body type, query on POST, spelling, undocumented and repeated names."""
    values = params if isinstance(params, Mapping) else dict.fromkeys(params, "")
    shape = RequestShape(
        endpoint,
        method,
        values,
        content_type,
        query_keys=tuple(query_keys),
        repeated=tuple(repeated),
    )
    return [note.message for note in lenient_notes(shape)]

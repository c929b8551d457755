"""Client conformance beyond the schemas: what the mock accepts leniently but the docs do not.

In strict mode these notes join the request's schema violations in the journal, so a client's
test suite learns that a real DQE server may answer differently.
"""

from __future__ import annotations

from collections.abc import Iterable

from mockserver.contract.schemas import REQUEST_SCHEMAS, contract

FORM = "application/x-www-form-urlencoded"
# The spelling each documentation page uses; the mock accepts both (see Contract notes).
DOCUMENTED_LICENCE = {"ACCESS_TOKEN": "licence", "IDMOBILE": "licence", "GET": "Licence"}
PAGES = {
    "ACCESS_TOKEN": "ID Mobile — Token",
    "IDMOBILE": "ID Mobile — Matching without OTP / numVerify / formfilling (Step 1)",
    "GET": "numVerify / formfilling (Step 2)",
}


def strict_notes(
    endpoint: str,
    method: str,
    content_type: str,
    params: Iterable[str],
    query_keys: Iterable[str] = (),
    repeated: Iterable[str] = (),
) -> list[str]:
    """Sentences naming each lenient acceptance, with the page that documents the rule."""
    page = PAGES[endpoint]
    names = list(params)
    notes = []
    if method == "POST" and content_type != FORM:
        notes.append(f"POST body is {content_type or 'empty'}; the docs send {FORM} — see {page}")
    if method == "POST" and list(query_keys):
        keys = ", ".join(sorted(query_keys))
        notes.append(
            f"POST carries query parameters ({keys}); the docs put them in the body — see {page}"
        )
    documented = set(contract().schemas[REQUEST_SCHEMAS[endpoint]]["properties"])
    for name in sorted(set(names) - documented):
        notes.append(f"/{name}: parameter {name!r} is not documented for /{endpoint}/ — see {page}")
    spelling = DOCUMENTED_LICENCE[endpoint]
    other = "Licence" if spelling == "licence" else "licence"
    if other in names and spelling not in names:
        notes.append(f"/{other}: the docs spell it {spelling!r} on /{endpoint}/ — see {page}")
    for name in sorted(set(repeated)):
        notes.append(f"/{name}: sent more than once; the mock used the first value — see {page}")
    return notes

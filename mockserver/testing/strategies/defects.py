"""The answer to each defect a negative strategy injects, written by hand from the vendor docs.

This table is the negative strategies' oracle: nothing here (or in the strategies) asks the
mock, its validator or its decoding what a defective request should get. Each row names the
defect, the error id, and where that id comes from: a page of shared/dqe-docs/ (the error
tables of /IDMOBILE/ are the same on numverify.txt, formfilling.txt and matching-notp.txt;
those of /GET/ on numverify.txt and formfilling.txt, Step 2), or the Contract notes
(docs/contract-notes.md) where the pages are silent or contradict each other. The token page
is not among the shared pages; its two errors are the Contract note "HTTP status".

Every /GET/ defect is drawn for a token that started no check, which alone gets 30: the ids
below (01, 04) are those errors.json's precedence lists before 30 for /GET/.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Defect:
    """One defect: what was broken, the error id the docs give for it, and the page saying so."""

    name: str
    error_id: str
    source: str


_IDM = "/IDMOBILE/ error table (numverify.txt, formfilling.txt, matching-notp.txt)"
_GET = "/GET/ error table (numverify.txt, formfilling.txt, Step 2)"
_MISSING = "docs/contract-notes.md, 'Missing, empty, wrong'"
_TOKEN = "docs/contract-notes.md, 'HTTP status' (the token page: 400 Invalid Request)"
_CLIENT = "docs/contract-notes.md, 'HTTP status' (the token page: 400 Invalid Client)"


def _table(*rows: tuple[str, str, str]) -> dict[str, Defect]:
    return {name: Defect(name, error_id, source) for name, error_id, source in rows}


IDMOBILE = _table(
    ("number missing", "01", f"{_MISSING}: a missing mandatory parameter is 01"),
    ("token missing", "01", f"{_MISSING}: a missing mandatory parameter is 01"),
    ("name missing", "01", f"{_MISSING}: a missing mandatory parameter is 01"),
    ("licence missing", "01", f"{_MISSING}: a missing mandatory parameter is 01"),
    ("scope missing", "01", f"{_MISSING}: an unknown scope is 04, a missing one 01"),
    ("mode missing", "01", f"{_MISSING}: mode must be 2 for matching_notp, formfilling, matching"),
    ("user_infos missing", "05", f"{_IDM}: 05 missing or empty parameter (user_infos)"),
    ("number empty", "11", f"{_IDM}: 11 phone number is empty"),
    ("token empty", "01", f"{_IDM}: 01 invalid request; {_MISSING}"),
    ("name empty", "01", f"{_IDM}: 01 invalid request; {_MISSING}"),
    ("licence empty", "01", f"{_IDM}: 01 invalid request; {_MISSING}"),
    ("scope not in the enum", "04", f"{_IDM}: 04 invalid scope; {_MISSING}"),
    ("mode not 2", "01", f"formfilling.txt: mode '2: authentication by code'; {_MISSING}"),
    ("user_infos empty", "05", f"{_IDM}: 05 missing or empty parameter (user_infos)"),
    ("user_infos not a JSON object", "06", f"{_IDM}: 06 bad parameter format (user_infos)"),
    ("user_infos without the phone key", "07", f"{_IDM}: 07 missing mandatory key (phone)"),
    (
        "user_infos without another key",
        "01",
        f"matching-notp.txt: each key must be present; {_MISSING}: any other missing key is 01",
    ),
    (
        "user_infos birthdate not YYYY-MM-DD",
        "01",
        f"matching-notp.txt keys table: birthdate in YYYY-MM-DD format; {_MISSING}",
    ),
    ("user_infos gender not M/F/empty", "01", f"matching-notp.txt: Gender M or F; {_MISSING}"),
    ("user_infos value not a string", "01", f"{_MISSING}: any other user_infos defect is 01"),
    ("redirect_uri not http(s)", "01", f"{_MISSING}: a redirect_uri not http(s) is 01"),
    ("country not two letters", "01", "matching-notp.txt: country, ISO 2-letter code; 01"),
    ("licence unknown", "02", f"{_IDM}: 02 invalid licence key"),
    ("token unknown", "30", f"{_IDM}: 30 invalid or expired token"),
    ("number a landline", "09", f"{_IDM}: 09; Contract notes 'Phone numbers': mobiles only"),
    ("number not a phone number", "10", f"{_IDM}: 10 the phone number does not exist"),
)

GET = _table(
    ("token missing", "01", f"numverify.txt Step 2: token Mandatory; {_MISSING}"),
    ("Licence missing", "01", f"numverify.txt Step 2: Licence Mandatory; {_MISSING}"),
    ("scope missing", "01", f"numverify.txt Step 2: scope Mandatory; {_MISSING}"),
    ("token empty", "01", f"{_GET}: 01 invalid request"),
    ("Licence empty", "01", f"{_GET}: 01 invalid request"),
    ("scope not in the enum", "04", f"{_GET}: 04 invalid scope"),
    ("token unknown", "30", f"{_GET}: 30 invalid or expired token"),
)

ACCESS_TOKEN = _table(
    ("licence missing", "invalid_request", _TOKEN),
    ("client_secret missing", "invalid_request", _TOKEN),
    ("grant_type missing", "invalid_request", _TOKEN),
    ("licence empty", "invalid_request", _TOKEN),
    ("client_secret empty", "invalid_request", _TOKEN),
    ("grant_type wrong", "invalid_request", f"{_TOKEN}: grant_type must be client_idmobile"),
    ("licence unknown", "invalid_client", _CLIENT),
    ("client_secret wrong", "invalid_client", _CLIENT),
)

DEFECTS: dict[str, dict[str, Defect]] = {
    "IDMOBILE": IDMOBILE,
    "GET": GET,
    "ACCESS_TOKEN": ACCESS_TOKEN,
}

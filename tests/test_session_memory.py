"""What a live session costs: issue 10 item 8 (100,000 realistic sessions under 150 MB RSS).

The realistic shape (benchmarks/sessions_rss.py measures it in a real process): a distinct
redirect_uri per session, a few partner names, a 12-key user_infos for matching. Here the
bytes the domain keeps are counted with tracemalloc, in process, on a few thousand sessions.
"""

from __future__ import annotations

import json
import tracemalloc

import pytest

from mockserver.domain import memo
from mockserver.domain.clock import Clock
from mockserver.domain.loading import load_default
from mockserver.domain.registry import ScenarioRegistry
from mockserver.domain.scoring import pack, unpack
from mockserver.domain.service import IdMobile, MockState
from mockserver.domain.sessions import SessionStore
from mockserver.domain.tokens import TokenStore
from tests.table import Rows

TOKEN = {"client_secret": "demo-secret", "grant_type": "client_idmobile", "licence": "100001"}
SESSIONS = 2_000
# Bytes the domain keeps per live matching session, its token issued beforehand: the session,
# its id, its number and scores, the stores' entries (the redirect_uri string is the
# request's). Measured on a second batch of 2,000 sessions, the bounded memo caches emptied:
# 444, the sessions' dicts growing past 2,000 entries included. Before the sessions were made
# compact (a slot per repeated fact, distinct redirect_uris interned, scores as a 9-tuple) it
# was 512 on the first batch.
BUDGET = 450


def initiation(index: int, token: str) -> dict[str, str]:
    mobile = f"06{10_000_000 + index:08d}"
    infos = {
        "street_address": f"rue des Lilas {index}", "postal_code": "75002", "locality": "Paris",
        "country": "France", "birthdate": "1985-04-12", "email": f"jean.{index}@example.com",
        "lastname": f"Dupont-{index}", "maiden_name": "", "gender": "M", "firstname": "Jean",
        "phone": mobile, "number": "10",
    }  # fmt: skip
    return {
        "number": "+33" + mobile[1:], "token": token, "mode": "2", "licence": "100001",
        "name": f"Shop {index % 50}", "scope": "matching", "user_infos": json.dumps(infos),
        "redirect_uri": f"https://shop.example/cb?order={index}",
    }  # fmt: skip


def test_a_live_matching_session_costs_under_its_budget() -> None:
    state = MockState(
        ScenarioRegistry(load_default()), TokenStore(1), SessionStore(1), Clock(frozen=True)
    )
    mock = IdMobile(state)
    requests = []
    for index in range(2 * SESSIONS):
        requests.append(initiation(index, mock.issue_token(TOKEN)["access_token"]))

    def forget_memos() -> None:
        # The memo caches of pure steps (scores, folded names, parsed numbers, scenario
        # lookups) are bounded whatever the number of sessions: not a session's cost.
        memo.clear()
        state.registry.forget_lookups()

    # A first batch, not counted: first-use caches and CPython's free lists of small tuples
    # (kept allocated, up to 2,000 a size, so tracemalloc would count them) fill up.
    for params in requests[:SESSIONS]:
        mock.initiate(params, lambda s: s.id)
    forget_memos()
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for params in requests[SESSIONS:]:
            mock.initiate(params, lambda s: s.id)
            forget_memos()
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    kept = tracemalloc.Filter(True, "*/mockserver/domain/*")
    grown = sum(s.size_diff for s in after.filter_traces([kept]).compare_to(
        before.filter_traces([kept]), "filename"))  # fmt: skip
    assert len(state.sessions) == 2 * SESSIONS
    assert grown / SESSIONS < BUDGET, grown / SESSIONS


# The score keys of a matching result (matching-notp.txt, response table), address ones apart.
TOP_SCORES = ["family_name", "gender", "birthdate", "given_name", "email"]
ADDRESS_SCORES = ["country", "postal_code", "street_address", "locality"]
# Every value a score may take: "" (not compared) and 0.00..1.00 in hundredths
# (docs/contract-notes.md, Contract notes: scores rounded to two decimals).
SCORE_VALUES: list[float | str] = ["", *(h / 100 for h in range(101))]


def test_packed_scores_come_back_as_the_same_hundredths() -> None:
    """Each score value in each of the nine fields survives pack() and unpack(), in 9 bytes.

    Row r gives field f the value SCORE_VALUES[(r + 37 f) % 102]: along the 102 rows every
    field takes every value once, and the fields of one row all differ.
    """
    rows = Rows()
    count = len(SCORE_VALUES)
    for r in range(count):
        values = [SCORE_VALUES[(r + 37 * f) % count] for f in range(9)]
        scores = {
            **dict(zip(TOP_SCORES, values[:5], strict=True)),
            "address": dict(zip(ADDRESS_SCORES, values[5:], strict=True)),
        }
        with rows.row(r, values):
            packed = pack(scores)
            assert len(packed) == 9
            assert unpack(packed) == scores
    rows.check(count)


def test_a_score_off_the_hundredths_is_refused() -> None:
    scores = {
        "family_name": 0.333, "gender": 1.0, "birthdate": "", "given_name": 0.0, "email": "",
        "address": {"country": "", "postal_code": "", "street_address": "", "locality": ""},
    }  # fmt: skip
    with pytest.raises(ValueError, match="hundredths"):
        pack(scores)

"""Faults (domain/faults.py): which fault applies, `first: N` per namespace, seeded delays.

Oracles: docs/admin-api.md "Faults" (endpoint defaults to any; `first: 2`: only the first 2 matching
requests, the 3rd succeeds; numbers and licences filters; a scenario's faults on its own
requests; `hang` closed after 300 s by default; http_error status 503 by default; latency
fixed, uniform or exponential with an optional max), scenario.schema.json's `latency`, and
the distributions' own properties (uniform within its bounds, exponential with that mean).
"""

from __future__ import annotations

import random
import statistics

import pytest

from mockserver.domain.faults import Fault, FaultBook, FaultTarget

IDMOBILE = FaultTarget("IDMOBILE", licence="100001", number="+33639980001", scenario_id="happy")


def test_defaults_are_the_documented_ones() -> None:
    fault = Fault("f", "hang")
    assert (fault.endpoint, fault.status, fault.seconds, fault.first) == ("any", 503, 300.0, None)
    assert FaultTarget("GET") == FaultTarget("GET", "", None, None)


@pytest.mark.parametrize(
    ("fault", "applies"),
    [
        (Fault("f", "reset"), True),
        (Fault("f", "reset", endpoint="IDMOBILE"), True),
        (Fault("f", "reset", endpoint="GET"), False),
        (Fault("f", "reset", licences=frozenset({"100001"})), True),
        (Fault("f", "reset", licences=frozenset({"100002"})), False),
        (Fault("f", "reset", licences=frozenset()), False),
        (Fault("f", "reset", numbers=frozenset({"+33639980001"})), True),
        (Fault("f", "reset", numbers=frozenset({"+33639980002"})), False),
        (Fault("f", "reset", scenario="happy"), True),
        (Fault("f", "reset", scenario="other"), False),
        (Fault("f", "reset", endpoint="IDMOBILE", licences=frozenset({"100001"}),
               numbers=frozenset({"+33639980001"}), scenario="happy"), True),
    ],
)  # fmt: skip
def test_a_fault_applies_to_the_requests_it_names(fault: Fault, applies: bool) -> None:
    assert fault.applies(IDMOBILE) is applies


def test_a_number_filter_never_matches_a_request_without_number() -> None:
    fault = Fault("f", "reset", numbers=frozenset({"+33639980001"}))
    assert fault.applies(FaultTarget("ACCESS_TOKEN", licence="100001")) is False


def test_first_n_counts_matching_requests_per_namespace() -> None:
    book = FaultBook(seed=1)
    fault = Fault("down", "http_error", first=2)
    picks = [book.pick([fault], IDMOBILE, "a") for _ in range(3)]
    assert picks == [fault, fault, None]
    assert book.pick([fault], IDMOBILE, "b") is fault
    assert (book.hits("a", "down"), book.hits("b", "down"), book.hits("c", "down")) == (3, 1, 0)
    assert book.counts() == {("a", "down"): 3, ("b", "down"): 1}


def test_requests_a_fault_does_not_apply_to_are_not_counted() -> None:
    book = FaultBook(seed=1)
    fault = Fault("get-only", "reset", endpoint="GET", first=1)
    assert book.pick([fault], IDMOBILE, "a") is None
    assert book.hits("a", "get-only") == 0
    assert book.pick([fault], FaultTarget("GET"), "a") is fault


def test_the_first_fault_that_applies_wins_and_a_used_one_gives_way() -> None:
    book = FaultBook(seed=1)
    once, always = Fault("once", "reset", first=1), Fault("always", "empty")
    assert book.pick([once, always], IDMOBILE, "a") is once
    assert book.pick([once, always], IDMOBILE, "a") is always
    assert book.pick([], IDMOBILE, "a") is None
    elsewhere = Fault("elsewhere", "reset", endpoint="GET")
    assert book.pick([elsewhere, always], IDMOBILE, "a") is always


def test_first_zero_never_fires() -> None:
    assert FaultBook(seed=1).pick([Fault("f", "reset", first=0)], IDMOBILE, "a") is None


def test_past_max_counters_the_first_count_starts_over() -> None:
    book = FaultBook(seed=1, max_counters=2)
    fault = Fault("f", "reset", first=1)
    book.pick([fault], IDMOBILE, "a")
    book.pick([fault], IDMOBILE, "b")
    book.pick([fault], IDMOBILE, "c")  # a's count goes
    assert book.counts() == {("b", "f"): 1, ("c", "f"): 1}
    assert book.pick([fault], IDMOBILE, "a") is fault


def test_reset_of_a_namespace_keeps_the_others_and_the_generator() -> None:
    book = FaultBook(seed=1)
    fault = Fault("f", "reset", first=1)
    for namespace in ("a", "b"):
        book.pick([fault], IDMOBILE, namespace)
    drawn = book.rng.random()
    book.reset("a")
    assert book.counts() == {("b", "f"): 1}
    assert book.pick([fault], IDMOBILE, "a") is fault
    assert book.rng.random() != drawn


def test_reset_forgets_every_count_and_restarts_the_generator() -> None:
    book = FaultBook(seed=9)
    first = [book.rng.random() for _ in range(3)]
    book.pick([Fault("f", "reset")], IDMOBILE, "a")
    book.reset()
    assert book.counts() == {}
    assert [book.rng.random() for _ in range(3)] == first
    fresh = FaultBook(seed=9)
    assert [fresh.rng.random() for _ in range(3)] == first
    assert FaultBook(seed=10).rng.random() not in first
    assert FaultBook().rng.random() != FaultBook().rng.random()


def test_delays() -> None:
    rng = random.Random(0)
    assert Fault("f", "latency").delay(rng) == 0.0
    assert Fault("f", "latency", latency={}).delay(rng) == 0.0
    assert Fault("f", "latency", latency={"fixed": 0.5}).delay(rng) == 0.5
    assert Fault("f", "latency", latency={"fixed": 2}).delay(rng) == 2.0
    assert Fault("f", "latency", latency={"uniform": [0.7, 0.7]}).delay(rng) == 0.7


def test_uniform_delays_stay_within_their_bounds_and_spread() -> None:
    fault = Fault("f", "latency", latency={"uniform": [0.2, 1.5]})
    rng = random.Random(0)
    draws = [fault.delay(rng) for _ in range(500)]
    assert all(0.2 <= d <= 1.5 for d in draws)
    assert min(draws) < 0.3
    assert max(draws) > 1.4


def test_exponential_delays_have_the_mean_given() -> None:
    fault = Fault("f", "latency", latency={"exponential": 0.3})
    rng = random.Random(0)
    draws = [fault.delay(rng) for _ in range(4000)]
    assert 0.27 < statistics.fmean(draws) < 0.33
    assert max(draws) > 1.0  # uncapped: the tail is there


def test_a_capped_exponential_never_passes_its_max() -> None:
    fault = Fault("f", "latency", latency={"exponential": 0.3, "max": 0.4})
    rng = random.Random(0)
    draws = [fault.delay(rng) for _ in range(1000)]
    assert max(draws) == 0.4
    assert min(draws) < 0.1

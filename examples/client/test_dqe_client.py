"""The integrator's tests: their client against dqe-mock, through the `dqe_mock` fixture."""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from dqe_client import IdMobileClient, IdMobileError

from mockserver.testing.plugin import DqeMock

ORANGE_HAPPY = "+33639980001"
CONSENT_DENIED = "+33639983001"
PENDING_3_POLLS = "+33639984003"


def client_for(dqe_mock: DqeMock) -> IdMobileClient:
    # The client's waits move the mock's clock instead of taking real time.
    return IdMobileClient(
        dqe_mock.url,
        licence="100001",
        client_secret="demo-secret",
        partner="ACME",
        sleep=dqe_mock.advance_clock,
    )


@pytest.fixture(autouse=True)
def behaves(dqe_mock: DqeMock) -> Iterator[None]:
    """Each test also passes the mock's client report: no finding (what `dqe-mock report
    --fail-on-findings` gates on)."""
    yield
    assert dqe_mock.findings() == []


def consent(url: str, **form: str) -> str:
    """What the user's browser does on the operator page (here: the scenario's answer)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    data = urllib.parse.urlencode(form).encode()
    try:
        opener.open(urllib.request.Request(url, data=data, method="POST"), timeout=10)
    except urllib.error.HTTPError as redirect:
        return str(redirect.headers["Location"])
    raise AssertionError("the consent step did not redirect")


def test_formfilling_returns_the_subscriber(dqe_mock: DqeMock) -> None:
    client = client_for(dqe_mock)
    started = client.start_formfilling(ORANGE_HAPPY, "https://shop.example/back?cart=7")
    assert started.operator == "Orange"
    landing = consent(started.url)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(landing).query) == {
        "cart": ["7"],
        "token": [started.token],
        "status": ["success"],
    }
    result = client.result(started.token)
    assert result["formfilling"]["family_name"] == "Dupont"


def test_a_refused_consent_is_reported(dqe_mock: DqeMock) -> None:
    client = client_for(dqe_mock)
    started = client.start_formfilling(CONSENT_DENIED, "https://shop.example/back")
    assert consent(started.url).endswith("status=error")
    with pytest.raises(IdMobileError) as refused:
        client.result(started.token)
    assert refused.value.error_id == "21"


def test_the_client_waits_while_pending(dqe_mock: DqeMock) -> None:
    client = client_for(dqe_mock)
    started = client.start_formfilling(PENDING_3_POLLS, "https://shop.example/back")
    result = client.result(started.token, max_polls=5)
    assert result["status"] == "success"
    polls = [e for e in dqe_mock.journal() if e["endpoint"] == "GET"]
    assert [p["response"]["status"] for p in polls] == ["pending"] * 3 + ["success"]


def test_a_custom_scenario_reproduces_an_operator_outage(dqe_mock: DqeMock) -> None:
    dqe_mock.add_scenarios(
        {
            "version": 1,
            "scenarios": [
                {
                    "id": "outage",
                    "match": {"numbers": ["+33639989999"]},
                    "operator": "Orange",
                    "outcome": {"initiate_error": "16"},
                }
            ],
        }
    )
    with pytest.raises(IdMobileError) as outage:
        client_for(dqe_mock).start_formfilling("+33639989999", "https://shop.example/back")
    assert outage.value.error_id == "16"

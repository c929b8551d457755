"""dqe-mock proxy: forwarding, two-way contract checks, the report, and pseudonymised recordings.

The "real upstream" is a dqe-mock on a free port of 127.0.0.1; the proxy is a second server in
front of it. Consent urls are answered at the upstream directly, as a browser would.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import ClientSession, FormData, web
from aiohttp.test_utils import TestServer, unused_port

from mockserver.cli import main
from mockserver.contract.errors import catalogue
from mockserver.contract.scopes import needs_user_infos, retrieval_scope
from mockserver.domain.loading import load_default, load_text
from mockserver.domain.pseudonymise import RECORDED_PREFIX, Pseudonymiser
from mockserver.domain.recorder import Exchange, Recorder
from mockserver.domain.service import MockState
from mockserver.http.app import create_app
from mockserver.http.proxy import ProxySettings, create_proxy_app
from mockserver.settings import Settings
from mockserver.testing.client import DqeClient, Reply, user_infos

ORANGE = "+33639980001"
ERROR_12 = "+33639981012"
DENIED = "+33639983001"
NUMVERIFY_FALSE = "+33639985001"
MATCHING = "+33639980003"
SEED = 42
# Every personal value the upstream's default pack holds for the numbers used, the numbers
# themselves in the forms clients send, the user_infos the client sends, and the real secret.
USER = {
    "firstname": "Gwenaëlle",
    "lastname": "Kerbratovic",
    "email": "gwen.kerbratovic@example.fr",
    "street_address": "impasse Quincampoix",
    "locality": "Plougastel",
    "postal_code": "29470",
    "birthdate": "1969-07-21",
    "phone": "+33639980003",
}
ORIGINAL_VALUES = [
    *(n for number in (ORANGE, ERROR_12, DENIED, NUMVERIFY_FALSE, MATCHING) for n in
      (number, "0" + number[3:], number[1:], number[3:])),
    "Jean", "Dupont", "jean.dupont@example.com", "rue de la Paix", "75002", "Paris",
    "1985-04-12", "orange-sub-0001", "2024-01-15", "Luc", "Bernard", "quai du Port",
    "Marseille", "13002", "1978-12-01", "bytel-sub-0003", "demo-secret",
    *USER.values(),
]  # fmt: skip


@pytest.fixture
def proxy_settings(server: TestServer) -> ProxySettings:
    return ProxySettings(upstream=str(server.make_url("/")), seed=SEED)


@pytest.fixture
async def proxy(proxy_settings: ProxySettings) -> AsyncIterator[TestServer]:
    async with TestServer(create_proxy_app(proxy_settings), host="127.0.0.1") as srv:
        yield srv


@pytest.fixture
async def http() -> AsyncIterator[ClientSession]:
    async with ClientSession() as session:
        yield session


@pytest.fixture
def via(proxy: TestServer, http: ClientSession) -> DqeClient:
    """A contract-checking client that talks to the proxy."""
    return DqeClient(http, proxy.make_url("/"))


async def report_of(http: ClientSession, proxy: TestServer) -> dict[str, Any]:
    async with http.get(proxy.make_url("/__proxy/report")) as response:
        assert response.status == 200
        report: dict[str, Any] = await response.json()
        return report


def seen(reply: Reply) -> tuple[int, str, Any]:
    return reply.status, reply.content_type, reply.body


async def consent_flow(
    client: DqeClient, upstream: DqeClient, number: str, scope: str = "formfilling"
) -> list[tuple[int, str, Any]]:
    """Token, /IDMOBILE/, a poll, consent at the upstream's url (if any), the result."""
    token = await client.token()
    started = await client.idmobile(token, number, scope)
    answers = [seen(started)]
    if "url" not in started.body:
        return answers
    get_scope = retrieval_scope(scope)
    answers.append(seen(await client.get(token, get_scope)))
    status, _, _ = await upstream.visit(started.body["url"])
    assert status == 200
    answers.append(seen(await client.get(token, get_scope)))
    return answers


async def test_answers_through_the_proxy_are_those_of_the_upstream(
    via: DqeClient, dqe: DqeClient, state: MockState
) -> None:
    numbers = (ORANGE, ERROR_12, DENIED)
    proxied = [await consent_flow(via, dqe, number) for number in numbers]
    state.reset()  # the seeded upstream issues the same tokens and session ids again
    direct = [await consent_flow(dqe, dqe, number) for number in numbers]
    assert proxied == direct
    assert proxied[0][-1][2]["formfilling"]["family_name"] == "Dupont"
    assert proxied[1] == [(200, "application/json", error_body("12"))]
    assert proxied[2][-1][2] == error_body("21", "formfilling")


def error_body(error_id: str, scope: str | None = None) -> dict[str, str]:
    label = catalogue().get(error_id).label_for(scope)
    return {"status": "error", "error_type": label, "error_id": error_id}


async def test_clean_flows_count_exchanges_and_report_no_violation(
    via: DqeClient, dqe: DqeClient, http: ClientSession, proxy: TestServer
) -> None:
    await consent_flow(via, dqe, ORANGE)
    await consent_flow(via, dqe, ERROR_12)
    report = await report_of(http, proxy)
    assert report == {
        "exchanges": 6,  # token, idmobile, get, get; token, idmobile
        "upstream_failures": 0,
        "request_violations": [],
        "response_violations": [],
        "dropped_violations": {"request": 0, "response": 0},
    }


async def test_post_without_slash_and_multipart_are_forwarded(
    server: TestServer, proxy: TestServer, http: ClientSession, state: MockState
) -> None:
    form = {"licence": "100001", "client_secret": "demo-secret", "grant_type": "client_idmobile"}
    answers = []
    for base in (proxy, server, proxy):
        state.reset()
        async with http.post(base.make_url("/ACCESS_TOKEN"), data=form) as response:
            answers.append((response.status, await response.json()))
    multipart = FormData(list(form.items()), default_to_multipart=True)
    state.reset()
    async with http.post(proxy.make_url("/ACCESS_TOKEN/"), data=multipart) as response:
        answers.append((response.status, await response.json()))
    assert answers[0][0] == 200
    assert answers[0] == answers[1] == answers[2] == answers[3]
    report = await report_of(http, proxy)
    assert [v["rule"] for v in report["request_violations"]] == ["strict"]
    assert "multipart/form-data" in report["request_violations"][0]["message"]


async def test_non_conforming_requests_are_reported(
    via: DqeClient, http: ClientSession, proxy: TestServer
) -> None:
    token = await via.token()
    base = {"number": ORANGE, "token": token, "scope": "numVerify"}
    no_name = await via.call("IDMOBILE", {**base, "licence": "100001"})
    assert no_name.body == error_body("01")  # the upstream's answer, passed through
    capital = await via.call("IDMOBILE", {**base, "name": "ACME", "Licence": "100001"})
    assert capital.body["status"] == "success"
    report = await report_of(http, proxy)
    found = [(v["endpoint"], v["pointer"], v["rule"]) for v in report["request_violations"]]
    assert found == [("IDMOBILE", "/name", "required"), ("IDMOBILE", "/Licence", "strict")]
    assert report["request_violations"][0]["error_id"] == "01"
    assert "the docs spell it 'licence'" in report["request_violations"][1]["message"]
    assert report["response_violations"] == []
    assert report["exchanges"] == 3


def lying_upstream() -> web.Application:
    """Answers that break the contract in ways the schemas and the catalogue each catch."""

    async def token(request: web.Request) -> web.Response:
        body = {"access_token": "T", "token_type": "Bearer", "expires_in": 1.5, "refresh_token": ""}
        return web.json_response(body)

    async def idmobile(request: web.Request) -> web.Response:
        body = {"status": "error", "error_type": "phone check broke", "error_id": "12"}
        return web.json_response(body, status=400)

    async def get(request: web.Request) -> web.Response:
        if request.query["scope"] == "numVerify":
            label = catalogue().get("20").label  # documented, but not numVerify's label
            return web.json_response({"status": "error", "error_type": label, "error_id": "20"})
        if request.query["scope"] == "matching":
            return web.Response(text="<h1>Bad gateway</h1>", status=502, content_type="text/html")
        label = catalogue().get("12").label  # an /IDMOBILE/ error
        return web.json_response({"status": "error", "error_type": label, "error_id": "12"})

    app = web.Application()
    app.add_routes([web.get("/ACCESS_TOKEN/", token), web.get("/IDMOBILE/", idmobile)])
    app.add_routes([web.get("/GET/", get)])
    return app


async def test_an_upstream_that_breaks_the_contract_is_caught(http: ClientSession) -> None:
    async with (
        TestServer(lying_upstream(), host="127.0.0.1") as upstream,
        TestServer(
            create_proxy_app(ProxySettings(str(upstream.make_url("/")))), host="127.0.0.1"
        ) as proxy,
    ):
        client = DqeClient(http, proxy.make_url("/"))
        await client.token()
        wrong_label = await client.idmobile("T", ORANGE, "formfilling")
        for scope in ("numVerify", "formfilling", "matching"):
            await client.get("T", scope)
        report = await report_of(http, proxy)
    assert wrong_label.status == 400
    assert wrong_label.body["error_type"] == "phone check broke"  # passed through unchanged
    found = {(v["endpoint"], v["pointer"], v["rule"]) for v in report["response_violations"]}
    assert found == {
        ("ACCESS_TOKEN", "/expires_in", "type"),
        ("IDMOBILE", "/error_type", "pattern"),
        ("IDMOBILE", "/error_id", "status_code_documented"),
        ("GET", "/error_type", "error_label_matches"),
        ("GET", "/error_id", "error_id_allowed"),
        ("GET", "", "content_type_is_json"),
    }
    messages = " ".join(v["message"] for v in report["response_violations"])
    assert "error 12 cannot be returned by /GET/ for scope formfilling" in messages
    assert "not the label of error 20 on /GET/ for scope numVerify" in messages
    assert report["request_violations"] == []
    assert report["exchanges"] == 5


async def test_an_unreachable_upstream_is_a_502(http: ClientSession) -> None:
    upstream = f"http://127.0.0.1:{unused_port()}"
    async with TestServer(create_proxy_app(ProxySettings(upstream)), host="127.0.0.1") as proxy:
        async with http.post(proxy.make_url("/IDMOBILE/"), data={"number": ORANGE}) as response:
            status, body = response.status, await response.json()
        report = await report_of(http, proxy)
    assert status == 502
    assert body["error"] == "upstream_unreachable"
    assert body["upstream"] == upstream
    assert report["upstream_failures"] == 1
    assert report["exchanges"] == 1


async def test_an_upstream_that_never_answers_is_a_504(http: ClientSession) -> None:
    release = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/GET/", hang)
    async with TestServer(app, host="127.0.0.1") as upstream:
        settings = ProxySettings(str(upstream.make_url("/")), timeout=0.2)
        async with TestServer(create_proxy_app(settings), host="127.0.0.1") as proxy:
            async with http.get(proxy.make_url("/GET/")) as response:
                status, body = response.status, await response.json()
            release.set()
    assert status == 504
    assert body["error"] == "upstream_timeout"


async def record(
    server: TestServer, tmp_path: Path, http: ClientSession
) -> tuple[Path, Path, list[list[tuple[int, str, Any]]]]:
    """Drive the flows through a proxy that records, then stop it (which writes the files)."""
    settings = ProxySettings(
        str(server.make_url("/")),
        record=tmp_path / "recorded.yaml",
        report=tmp_path / "report.json",
        seed=SEED,
    )
    upstream = DqeClient(http, server.make_url("/"))
    async with TestServer(create_proxy_app(settings), host="127.0.0.1") as proxy:
        client = DqeClient(http, proxy.make_url("/"))
        flows = [
            await consent_flow(client, upstream, number) for number in (ORANGE, ERROR_12, DENIED)
        ]
        flows.append(await consent_flow(client, upstream, NUMVERIFY_FALSE, "numVerify"))
        token = await client.token()
        infos = user_infos(**USER)
        flows.append(
            [seen(await client.idmobile(token, MATCHING, "matching_notp", user_infos=infos))]
        )
        assert not (tmp_path / "recorded.yaml").exists()
    return tmp_path / "recorded.yaml", tmp_path / "report.json", flows


def scenario_with(document: dict[str, Any], **outcome: Any) -> dict[str, Any]:
    found = [s for s in document["scenarios"] if outcome.items() <= s.get("outcome", {}).items()]
    assert len(found) == 1, found
    return found[0]


async def test_the_recording_is_valid_pseudonymised_and_replays(
    server: TestServer, tmp_path: Path, http: ClientSession, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded, report_path, flows = await record(server, tmp_path, http)
    text = recorded.read_text(encoding="utf-8")
    leaked = [value for value in ORIGINAL_VALUES if value in text]
    assert leaked == []
    assert load_text(text, str(recorded)).licences["100001"].client_secret == "recorded-secret"
    assert main(["validate", str(recorded)]) == 0
    assert "ok (" in capsys.readouterr().out
    assert json.loads(report_path.read_text(encoding="utf-8"))["exchanges"] == 16

    document = yaml.safe_load(text)
    numbers = [s["match"]["numbers"][0] for s in document["scenarios"]]
    assert len(numbers) == len(set(numbers)) == 5
    assert all(n.startswith(RECORDED_PREFIX) and len(n) == 12 for n in numbers)
    assert document["operators"] == [{"name": "Orange"}]
    happy = next(s for s in document["scenarios"] if "subscriber" in s)
    assert "outcome" not in happy
    assert happy["subscriber"]["gender"] == "M"
    assert scenario_with(document, numverify=False)
    assert scenario_with(document, scores=flows[-1][0][2])  # matching_notp scores, pinned

    replay = Settings(scenario_paths=(recorded,), seed=7, frozen_clock=True, check_responses=True)
    async with TestServer(create_app(replay), host="127.0.0.1") as mock:
        client = DqeClient(http, mock.make_url("/"))
        refused = await client.call(
            "ACCESS_TOKEN",
            {"licence": "100001", "client_secret": "demo-secret", "grant_type": "client_idmobile"},
        )
        assert refused.error_id == "invalid_client"  # the real secret was not recorded
        token = await client.token(secret="recorded-secret")
        failing = scenario_with(document, initiate_error="12")["match"]["numbers"][0]
        assert (await client.idmobile(token, failing, "formfilling")).body == error_body("12")
        denied = scenario_with(document, result_error="21")["match"]["numbers"][0]
        assert (await consent_flow_with_secret(client, denied))[-1][2] == error_body(
            "21", "formfilling"
        )
        result = (await consent_flow_with_secret(client, happy["match"]["numbers"][0]))[-1][2]
        assert result["status"] == "success"
        assert result["formfilling"]["given_name"] == happy["subscriber"]["given_name"]
        assert result["formfilling"]["family_name"] != "Dupont"
        false = scenario_with(document, numverify=False)["match"]["numbers"][0]
        verified = await consent_flow_with_secret(client, false, "numVerify")
        assert verified[-1][2] == {"status": "success", "scope": "numVerify", "numVerify": False}
        assert flows[3][-1][2] == verified[-1][2]  # the upstream's answer, replayed


async def consent_flow_with_secret(
    client: DqeClient, number: str, scope: str = "formfilling"
) -> list[tuple[int, str, Any]]:
    token = await client.token(secret="recorded-secret")
    started = await client.idmobile(token, number, scope)
    assert started.violations == []
    answers = [seen(started), seen(await client.get(token, scope))]
    status, _, _ = await client.visit(started.body["url"])
    assert status == 200
    answers.append(seen(await client.get(token, scope)))
    return answers


async def test_the_recording_is_served_while_recording(
    via: DqeClient, dqe: DqeClient, http: ClientSession, proxy: TestServer
) -> None:
    await consent_flow(via, dqe, DENIED)
    async with http.get(proxy.make_url("/__proxy/recording")) as response:
        text = await response.text()
    assert response.content_type == "application/yaml"
    scenarios = load_text(text, "<served>").scenarios
    assert [s.outcome_for("formfilling").result_error for s in scenarios] == ["21"]
    assert DENIED not in text


async def test_the_report_can_be_cleared(
    via: DqeClient, http: ClientSession, proxy: TestServer
) -> None:
    await via.call("GET", {"token": "T", "scope": "numVerify"})
    assert (await report_of(http, proxy))["request_violations"]
    async with http.delete(proxy.make_url("/__proxy/report")) as response:
        assert (await response.json())["exchanges"] == 0
    assert (await report_of(http, proxy))["request_violations"] == []


def test_pseudonyms_are_deterministic_distinct_and_fictional() -> None:
    originals = [f"+336{n:08d}" for n in range(0, 10**8, 10**5)]  # 1000 numbers
    first = Pseudonymiser(1)
    fakes = [first.number(n) for n in originals]
    assert len(set(fakes)) == 1000
    assert all(f.startswith("+33639988") and len(f) == 12 for f in fakes)
    again = Pseudonymiser(1)
    assert [again.number(n) for n in originals[:50]] == fakes[:50]
    other = Pseudonymiser(2)
    assert [other.number(n) for n in originals[:50]] != fakes[:50]
    with pytest.raises(ValueError, match="more than 1000"):
        first.number("+33700000000")
    assert first.number(originals[3]) == fakes[3]


def test_fake_subscribers_avoid_every_original() -> None:
    record = {
        "given_name": "Armand", "family_name": "Delorme", "gender": "M",
        "birthdate": "1985-04-12", "birthplace": "75", "email": "armand.delorme@example.com",
        "sub": "sub-1", "updated_at": "2024-01-15", "locale": "fr-FR",
        "address": {"number": "10", "street_address": "rue des Tilleuls", "postal_code": "21000",
                    "locality": "Dijon", "country": "France", "formatted": "x"},
    }  # fmt: skip
    fakes = Pseudonymiser(5, avoid=["Marius", "Aubertin", "Carpentier"])
    fake = fakes.subscriber(record)
    text = json.dumps(fake, ensure_ascii=False)
    for original in (
        "Armand",
        "Delorme",
        "1985-04-12",
        "armand.delorme",
        "rue des Tilleuls",
        "Dijon",
        "21000",
        "sub-1",
        "2024-01-15",
        "Marius",
        "Aubertin",
        "Carpentier",
    ):
        assert original not in text  # fmt: skip
    assert fake["gender"] == "M"
    assert fake["address"]["country"] == "France"
    assert fake["address"]["number"] != "10"
    assert fake == Pseudonymiser(5, avoid=["Marius", "Aubertin", "Carpentier"]).subscriber(record)
    assert load_text(
        yaml.safe_dump({"scenarios": [{"id": "a", "match": {"any": True}, "subscriber": fake}]}),
        "<fake>",
    )


def test_recorder_outcomes_per_scope() -> None:
    recorder = Recorder()
    token = {"licence": "L", "client_secret": "s3cret", "grant_type": "client_idmobile"}
    recorder.observe(Exchange("ACCESS_TOKEN", token, 200, {"access_token": "T1"}))
    recorder.observe(Exchange("ACCESS_TOKEN", {**token, "licence": "X"}, 400, {"error": "e"}))
    consent = {"status": "success", "operator": "SFR", "url": "http://op/consent/1"}
    idmobile = {"number": "0639980002", "token": "T1", "scope": "matching_notp"}
    recorder.observe(Exchange("IDMOBILE", idmobile, 200, consent))
    for _ in range(3):
        recorder.observe(Exchange("GET", {"token": "T1"}, 200, {"status": "pending"}))
    scores = {"family_name": "0.5", "given_name": 1, "gender": "", "birthdate": True}
    recorder.observe(
        Exchange("GET", {"token": "T1"}, 200, {"status": "success", "matching": scores})
    )
    explained = {"status": "error", "error_type": "invalid request", "error_id": "01"}
    recorder.observe(Exchange("IDMOBILE", {**idmobile, "scope": "numVerify"}, 200, explained, "01"))
    recorder.observe(Exchange("IDMOBILE", {"number": "not a number"}, 200, explained, "01"))
    document = recorder.document(seed=9)
    assert document["licences"] == [{"licence": "L", "client_secret": "recorded-secret"}]
    assert document["operators"] == [{"name": "SFR"}]
    assert "1 requests without a phone number" in document["description"]
    [scenario] = document["scenarios"]
    assert scenario["operator"] == "SFR"
    assert scenario["scopes"] == {
        "matching_notp": {"consent_required": True},
        "matching": {"pending": {"polls": 2}, "scores": {"family_name": 0.5, "given_name": 1.0,
                                                        "gender": ""}},
    }  # fmt: skip
    text = recorder.render(seed=9)
    assert "s3cret" not in text
    assert "0639980002" not in text
    assert load_text(text, "<recorded>").scenarios[0].outcome_for("matching").pending.polls == 2


def shape(body: Any) -> str:
    """What a replay must reproduce: error ids, statuses, numVerify, scores; not the data."""
    if not isinstance(body, dict):
        return "not JSON"
    if "error_id" in body:
        return f"error {body['error_id']}"
    if "url" in body:
        return f"consent {body['operator']}"
    scores = body.get("matching", body if "status" not in body else None)
    return json.dumps([body.get("status"), body.get("numVerify"), scores], sort_keys=True)


async def every_flow(client: DqeClient, numbers: list[str], secret: str) -> list[list[str]]:
    """Each number in each scope: token, /IDMOBILE/, a poll, consent, three polls."""
    shapes = []
    for number in numbers:
        for scope in ("numVerify", "formfilling", "matching", "matching_notp",
                      "matching,formfilling"):  # fmt: skip
            token = await client.token(secret=secret)
            infos = user_infos(phone="0639980003", firstname="Jean", lastname="Dupond")
            extra = {"user_infos": infos} if needs_user_infos(scope) else {}
            started = await client.idmobile(token, number, scope, **extra)
            seen_here = [shape(started.body)]
            if "url" in started.body:
                get_scope = retrieval_scope(scope)
                seen_here.append(shape((await client.get(token, get_scope)).body))
                await client.visit(started.body["url"])
                for _ in range(3):
                    seen_here.append(shape((await client.get(token, get_scope)).body))
            shapes.append(seen_here)
    return shapes


async def test_every_number_of_the_default_pack_replays_alike(
    server: TestServer, tmp_path: Path, http: ClientSession
) -> None:
    numbers = sorted({n for s in load_default().scenarios for n in s.match.numbers})
    settings = ProxySettings(str(server.make_url("/")), record=tmp_path / "all.yaml", seed=SEED)
    async with TestServer(create_proxy_app(settings), host="127.0.0.1") as proxy:
        original = await every_flow(DqeClient(http, proxy.make_url("/")), numbers, "demo-secret")
        report = await report_of(http, proxy)
    assert main(["validate", str(tmp_path / "all.yaml")]) == 0
    document = yaml.safe_load((tmp_path / "all.yaml").read_text(encoding="utf-8"))
    fakes = [s["match"]["numbers"][0] for s in document["scenarios"]]  # in the order seen
    assert len(fakes) == len(numbers)
    replay = Settings(scenario_paths=(tmp_path / "all.yaml",), seed=7, frozen_clock=True)
    async with TestServer(create_app(replay), host="127.0.0.1") as mock:
        replayed = await every_flow(DqeClient(http, mock.make_url("/")), fakes, "recorded-secret")
    assert replayed == original
    assert report["request_violations"] == []
    # Known mock bug: the default pack's error-05 and error-07 numbers answer those errors in
    # numVerify and formfilling too, where the catalogue allows neither.
    assert all(
        v["rule"] == "error_id_allowed" and v["message"].startswith(("error 05", "error 07"))
        for v in report["response_violations"]
    )
    assert {"error 12", "error 21", "error 18", "error 99"} <= {s for f in original for s in f}


async def test_the_proxy_command_writes_report_and_recording_on_sigint(
    server: TestServer, tmp_path: Path, http: ClientSession
) -> None:
    record_path, report_path = tmp_path / "rec.yaml", tmp_path / "report.json"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "mockserver", "proxy", "--upstream", str(server.make_url("/")),
        "--port", "0", "--record", str(record_path), "--report", str(report_path),
        "--seed", "3", "--log-level", "WARNING",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert "proxy listening on http://127.0.0.1:" in line
        url = line.split(" on ", 1)[1].split(" -> ")[0]
        client = DqeClient(http, url)
        token = await client.token()
        reply = await client.idmobile(token, ERROR_12, "numVerify")
        assert reply.error_id == "12"
    finally:
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    assert json.loads(report_path.read_text(encoding="utf-8"))["exchanges"] == 2
    text = record_path.read_text(encoding="utf-8")
    assert ERROR_12 not in text
    assert (
        load_text(text, str(record_path)).scenarios[0].outcome_for("numVerify").initiate_error
        == "12"
    )


def test_an_upstream_that_is_not_a_url_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["proxy", "--upstream", "localhost:8080"]) == 2
    assert "--upstream must be an http(s) url" in capsys.readouterr().err


def test_a_first_poll_with_the_answer_records_automatic_consent() -> None:
    recorder = Recorder()
    consent = {"status": "success", "operator": "Free", "url": "http://op/consent/1"}
    for token, number in (("T1", "+33639980004"), ("T2", "+33639980005")):
        params = {"number": number, "token": token, "scope": "numVerify"}
        recorder.observe(Exchange("IDMOBILE", params, 200, consent))
    done = {"status": "success", "scope": "numVerify", "numVerify": True}
    recorder.observe(Exchange("GET", {"token": "T1"}, 200, done))
    recorder.observe(Exchange("GET", {"token": "T2"}, 200, {"status": "pending"}))
    recorder.observe(Exchange("GET", {"token": "T2"}, 200, done))
    first, second = recorder.document(seed=1)["scenarios"]
    assert first["outcome"] == {"consent": {"auto": True}}
    assert "outcome" not in second
    assert first["operator"] == second["operator"] == "Free"

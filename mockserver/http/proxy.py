"""`dqe-mock proxy`: forward to a real DQE server (or a mock), check both directions, record.

Every request to /ACCESS_TOKEN/, /IDMOBILE/ and /GET/ goes to the upstream unchanged (method,
path, query, body, relevant headers) and its answer comes back unchanged. On the way, the
request is checked against the request schemas and the strict-conformance notes, and the
answer against its response schema, the error catalogue (may this endpoint return this id for
this scope, with this label and HTTP status?). Violations are logged and kept in a report,
served at /__proxy/report and written to --report at shutdown.

The consent url of an /IDMOBILE/ answer is passed through unchanged: the user's browser (or
the test) talks to the operator's page on the upstream directly, never through the proxy.

With --record, the exchanges are written at shutdown as a pseudonymised scenario file that
`dqe-mock serve --scenarios FILE` replays (see mockserver.domain.recorder).
"""

from __future__ import annotations

import json
import logging
import sys
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, FormData, web
from multidict import CIMultiDict
from yarl import URL

from mockserver import __version__
from mockserver.contract.bounds import MAX_NAME, MAX_VIOLATIONS, cut
from mockserver.contract.checks import Operation, Response, violations
from mockserver.contract.conformance import strict_notes
from mockserver.contract.schemas import contract
from mockserver.domain.loading import ScenarioFileError, load_text
from mockserver.domain.recorder import Exchange, Recorder
from mockserver.domain.service import parse_params
from mockserver.http.body import READ_LIMITS, BodyError, ReadLimits, read_body
from mockserver.http.connection import handler_args
from mockserver.http.decode import FORM_TYPES, DecodeError, decode, form_pairs, query_pairs
from mockserver.http.lifecycle import run
from mockserver.http.middleware import json_routing_errors, last_resort
from mockserver.http.safe import safe_head
from mockserver.settings import DEFAULT_MAX_FINDINGS, ProxySettings

log = logging.getLogger("dqe_mock.proxy")
PREFIX = "/__proxy"
ENDPOINTS = ("ACCESS_TOKEN", "IDMOBILE", "GET")
REQUEST_HEADERS = (
    "Content-Type", "Accept", "Accept-Language", "Authorization", "User-Agent",
    "X-Dqe-Namespace", "X-Request-Id",
)  # fmt: skip
RESPONSE_HEADERS = ("Content-Type", "Cache-Control", "Location", "Retry-After", "WWW-Authenticate")
MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class Finding:
    """One violation seen by the proxy, in either direction."""

    endpoint: str
    pointer: str
    rule: str
    message: str
    error_id: str | None = None


@dataclass
class ProxyReport:
    """What the proxy has seen: exchanges, upstream failures, violations each way.

    The latest `limit` violations are kept each way; older ones are dropped and counted in
    `dropped`, so a long run against a non-conforming client stays within a fixed size.
    """

    limit: int = DEFAULT_MAX_FINDINGS
    exchanges: int = 0
    upstream_failures: int = 0
    request_violations: deque[Finding] = field(init=False)
    response_violations: deque[Finding] = field(init=False)
    dropped: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.request_violations = deque(maxlen=self.limit)
        self.response_violations = deque(maxlen=self.limit)
        self.dropped = {"request": 0, "response": 0}

    def reset(self) -> None:
        """Start over."""
        self.exchanges = self.upstream_failures = 0
        self.__post_init__()

    def add(self, direction: str, findings: list[Finding], where: str) -> None:
        """Keep and log the findings of a request or of a response (direction: either word).

        At most MAX_VIOLATIONS findings of one exchange are kept (the rest are counted in
        `dropped`), each message cut to MAX_MESSAGE characters and its pointer to MAX_NAME.
        """
        first = [
            replace(f, pointer=cut(f.pointer, MAX_NAME + 1), message=cut(f.message))
            for f in findings[:MAX_VIOLATIONS]
        ]
        for finding in first:
            log.warning("%s VIOLATION %s: %s", direction.upper(), where, finding.message)
        kept = self.request_violations if direction == "request" else self.response_violations
        self.dropped[direction] += len(findings) - len(first)
        self.dropped[direction] += max(len(kept) + len(first) - self.limit, 0)
        kept.extend(first)

    def as_json(self) -> dict[str, Any]:
        """The report as served and written."""
        return {
            "exchanges": self.exchanges,
            "upstream_failures": self.upstream_failures,
            "request_violations": [asdict(f) for f in self.request_violations],
            "response_violations": [asdict(f) for f in self.response_violations],
            "dropped_violations": dict(self.dropped),
        }


SETTINGS = web.AppKey("proxy_settings", ProxySettings)
REPORT = web.AppKey("proxy_report", ProxyReport)
RECORDER = web.AppKey("proxy_recorder", Recorder)
CLIENT = web.AppKey("proxy_client", ClientSession)


def check_request(
    endpoint: str,
    method: str,
    content_type: str,
    params: dict[str, str],
    query_keys: Iterable[str] = (),
    repeated: Iterable[str] = (),
) -> tuple[list[Finding], str | None]:
    """The request's schema violations and strict notes, and the error id they call for."""
    violations = contract().validate_request(endpoint, parse_params(params))
    findings = [
        Finding(endpoint, v.pointer, v.rule, v.explain(), v.error_id) for v in violations.violations
    ]
    for note in strict_notes(endpoint, method, content_type, params, query_keys, repeated):
        pointer = note.split(":", 1)[0] if note.startswith("/") else ""
        findings.append(Finding(endpoint, pointer, "strict", note))
    return findings, violations.error_id


@dataclass
class _Incoming:
    """A request read once: its decoded parameters, and what to send upstream."""

    params: dict[str, str]
    body: bytes | FormData | None
    findings: list[Finding]
    request_error: str | None


async def _read(request: web.Request, endpoint: str) -> _Incoming:
    """Raises DecodeError for a body that cannot be read, the 413 or the 408 of read_body."""
    multipart = request.content_type == "multipart/form-data"
    try:
        raw = None if multipart or not request.body_exists else await read_body(request)
    except BodyError as exc:
        raise DecodeError(str(exc)) from exc
    try:
        params = await decode(request)
    except DecodeError as exc:
        finding = Finding(endpoint, "", "decode", f"the proxy cannot read the request: {exc}")
        return _Incoming({}, raw, [finding], None)
    pairs = query_pairs(request)
    body: bytes | FormData | None = raw
    if request.method == "POST" and request.content_type in FORM_TYPES:
        form = await form_pairs(request)
        pairs += form
        if multipart:
            body = FormData(form, default_to_multipart=True)
    keys = [k for k, _ in pairs]
    repeated = {k for k in keys if keys.count(k) > 1}
    query_keys = list(request.query) if request.method == "POST" else []
    content_type = request.content_type if request.body_exists else ""
    findings, request_error = check_request(
        endpoint, request.method, content_type, params, query_keys, repeated
    )
    return _Incoming(params, body, findings, request_error)


def _headers(source: Any, names: Iterable[str], multipart: bool = False) -> CIMultiDict[str]:
    headers: CIMultiDict[str] = CIMultiDict()
    for name in names:
        if name in source and not (multipart and name == "Content-Type"):
            headers[name] = source[name]
    return headers


def _failure(status: int, error: str, message: str, upstream: str) -> web.Response:
    body = {"error": error, "error_description": message, "upstream": upstream}
    return web.json_response(body, status=status)


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: CIMultiDict[str]
    content_type: str
    payload: bytes


async def _send(request: web.Request, incoming: _Incoming) -> _Answer | web.Response:
    """The upstream's answer; a 502 (504) JSON response when it cannot be reached (in time)."""
    settings, report = request.app[SETTINGS], request.app[REPORT]
    multipart = isinstance(incoming.body, FormData)
    try:
        async with request.app[CLIENT].request(
            request.method,
            URL(settings.upstream.rstrip("/") + request.raw_path, encoded=True),
            data=incoming.body,
            headers=_headers(request.headers, REQUEST_HEADERS, multipart),
            allow_redirects=False,
        ) as answer:
            headers = _headers(answer.headers, RESPONSE_HEADERS)
            return _Answer(answer.status, headers, answer.content_type, await answer.read())
    except TimeoutError:
        report.upstream_failures += 1
        log.error("upstream %s did not answer %s in time", settings.upstream, request.path)
        message = f"no answer within {settings.timeout:g} s"
        return _failure(504, "upstream_timeout", message, settings.upstream)
    except (ClientError, OSError, ValueError) as exc:
        report.upstream_failures += 1
        log.error("upstream %s unreachable for %s: %r", settings.upstream, request.path, exc)
        return _failure(502, "upstream_unreachable", repr(exc), settings.upstream)


def check_answer(
    operation: Operation, status: int, content_type: str, payload: bytes
) -> tuple[Any, list[Finding]]:
    """The answer's JSON body (None when it has none) and its violations (contract.checks)."""
    response = Response.from_text(status, content_type, payload)
    findings: list[Finding] = []
    endpoint = operation.endpoint
    for found in violations(operation, response):
        # The schema's own violations, each at its place; the other checks, one each.
        findings.extend(Finding(endpoint, d.pointer, d.rule, d.explain()) for d in found.details)
        if not found.details:
            findings.append(Finding(endpoint, found.pointer, found.rule, found.message))
    return (response.body if response.has_json_type else None), findings


async def forward(request: web.Request) -> web.Response:
    """Any documented endpoint: check the request, forward it, check the answer, record."""
    endpoint, where = request.path.strip("/"), f"{request.method} {request.path}"
    report = request.app[REPORT]
    report.exchanges += 1
    try:
        incoming = await _read(request, endpoint)
    except DecodeError as exc:  # nothing to forward: the client hears why
        message = cut(f"the proxy cannot read the request: {exc}")
        report.add("request", [Finding(endpoint, "", "decode", message)], where)
        log.info("%s -> HTTP 400: %s", where, message)
        return web.json_response(
            {"error": "invalid_request", "error_description": message}, status=400
        )
    report.add("request", incoming.findings, where)
    answer = await _send(request, incoming)
    if isinstance(answer, web.Response):
        return answer
    try:
        operation = Operation(endpoint, request.method, incoming.params)
        body, findings = check_answer(operation, answer.status, answer.content_type, answer.payload)
        report.add("response", findings, where)
        exchange = Exchange(
            endpoint, parse_params(incoming.params), answer.status, body, incoming.request_error
        )
        request.app[RECORDER].observe(exchange)
    except Exception:  # a bug in the checks must not cost the client the upstream's answer
        log.exception("BUG: the proxy could not check or record %s", where)
    return web.Response(body=answer.payload, status=answer.status, headers=answer.headers)


async def read_report(request: web.Request) -> web.Response:
    """GET /__proxy/report: the report so far."""
    return web.json_response(request.app[REPORT].as_json())


async def clear_report(request: web.Request) -> web.Response:
    """DELETE /__proxy/report: start the report over (the recording is kept)."""
    request.app[REPORT].reset()
    return web.json_response(request.app[REPORT].as_json())


async def read_recording(request: web.Request) -> web.Response:
    """GET /__proxy/recording: the scenario file --record would write now."""
    text = request.app[RECORDER].render(request.app[SETTINGS].seed)
    return web.Response(text=text, content_type="application/yaml")


ROUTES = [
    *(
        route(path, forward)
        for endpoint in ENDPOINTS
        for path in (f"/{endpoint}/", f"/{endpoint}")
        for route in (web.get, web.post)
    ),
    web.get(f"{PREFIX}/report", read_report),
    web.delete(f"{PREFIX}/report", clear_report),
    web.get(f"{PREFIX}/recording", read_recording),
]


async def _lifetime(app: web.Application) -> AsyncIterator[None]:
    """One client session for every upstream call; the report and recording at shutdown."""
    settings = app[SETTINGS]
    async with ClientSession(timeout=ClientTimeout(total=settings.timeout)) as client:
        app[CLIENT] = client
        yield
    write_outputs(app)


def write_outputs(app: web.Application) -> None:
    """Write --report and --record, when asked for."""
    settings = app[SETTINGS]
    if settings.report is not None:
        text = json.dumps(app[REPORT].as_json(), indent=2, ensure_ascii=False) + "\n"
        _write(settings.report, text, "report")
    if settings.record is not None:
        try:
            text = app[RECORDER].render(settings.seed)
        except ValueError as exc:  # more numbers than the recording range holds
            log.error("cannot record: %s", exc)
            return
        try:
            load_text(text, str(settings.record))
        except ScenarioFileError as exc:
            log.error("BUG: the recording is not a valid scenario file:\n%s", exc)
        _write(settings.record, text, "recorded scenarios")


def _write(path: Path, text: str, what: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        log.error("cannot write the %s to %s: %s", what, path, exc)
    else:
        log.info("%s written to %s", what, path)


def create_proxy_app(settings: ProxySettings) -> web.Application:
    """A ready-to-run proxy in front of settings.upstream; ValueError if that is not a url."""
    upstream = URL(settings.upstream)
    if upstream.scheme not in ("http", "https") or not upstream.host:
        raise ValueError(f"--upstream must be an http(s) url, not {settings.upstream!r}")
    # HEAD is answered by the proxy (see http.safe): forwarded, it could act upstream.
    app = web.Application(
        middlewares=[last_resort, json_routing_errors, safe_head],
        client_max_size=MAX_BODY,
        handler_args=handler_args(settings.keepalive_timeout),
    )
    app[SETTINGS] = settings
    app[READ_LIMITS] = ReadLimits(MAX_BODY, settings.body_timeout)
    app[REPORT] = ProxyReport(settings.max_findings)
    app[RECORDER] = Recorder()
    app.add_routes(ROUTES)
    app.cleanup_ctx.append(_lifetime)
    return app


def run_proxy(settings: ProxySettings) -> int:
    """Run until SIGTERM or SIGINT, then stop gracefully; the report and recording are
    written on the way out. 0 when stopped, 2 for a bad --upstream."""
    try:
        app = create_proxy_app(settings)
    except ValueError as exc:
        print(f"dqe-mock proxy: {exc}", file=sys.stderr)
        return 2

    def banner(port: int) -> str:
        url = f"http://{settings.host}:{port}"
        return f"dqe-mock {__version__} proxy listening on {url} -> {settings.upstream}"

    return run(app, settings, banner)

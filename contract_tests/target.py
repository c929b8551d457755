"""The server under test: a synchronous client of any base url, and the in-process mock.

The client is plain urllib, so that hypothesis (sync) drives it without an event loop; the
in-process mock is a mockserver.testing.MockServer (its own event loop, in a thread). Every answer of the three
documented endpoints goes through all the contract checks before a test sees it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from mockserver.contract.checks import Operation, Response, check_all

TIMEOUT = 30.0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Leave redirects to the test: the consent step's Location is what it checks."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


@dataclass(frozen=True)
class Raw:
    """An HTTP answer as it came: status, headers that matter, text."""

    status: int
    content_type: str
    location: str | None
    text: str


def _send(url: str, method: str, params: Mapping[str, str], json_body: Any = None) -> Raw:
    data: bytes | None = None
    headers = {}
    if json_body is not None:
        data, headers = json.dumps(json_body).encode(), {"Content-Type": "application/json"}
    elif method == "POST":
        data = urlencode(params).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    elif params:
        url = f"{url}?{urlencode(params, quote_via=quote)}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        reply = _OPENER.open(request, timeout=TIMEOUT)
    except urllib.error.HTTPError as error:
        reply = error
    with reply:
        text = reply.read().decode("utf-8", errors="replace")
        return Raw(
            reply.status,
            reply.headers.get("Content-Type", ""),
            reply.headers.get("Location"),
            text,
        )


@dataclass(frozen=True)
class Target:
    """A DQE server (real, or a mock) and the licence the suite uses on it."""

    base_url: str
    licence: str
    secret: str
    number: str
    is_mock: bool

    def url(self, path: str) -> str:
        """An absolute url under the base url (which may carry a path prefix)."""
        return f"{self.base_url.rstrip('/')}/{path.lstrip('/')}"

    def call(self, endpoint: str, params: Mapping[str, str], method: str = "GET") -> Response:
        """One documented call; every contract check runs on the answer."""
        raw = _send(self.url(f"/{endpoint}/"), method, params)
        response = Response.from_text(raw.status, raw.content_type, raw.text)
        check_all(Operation(endpoint, method, dict(params)), response)
        return response

    def token(self, licence: str | None = None) -> str:
        """A fresh access token of the suite's licence (or of `licence`, same secret)."""
        params = {
            "client_secret": self.secret,
            "grant_type": "client_idmobile",
            "licence": licence or self.licence,
        }
        response = self.call("ACCESS_TOKEN", params)
        assert response.status == 200, f"/ACCESS_TOKEN/ refused: {response.text}"
        return str(response.body["access_token"])

    def visit(self, url: str, **form: str) -> Raw:
        """POST the consent step's form (empty: the mock's user acts as the scenario says)."""
        return _send(url, "POST", form)

    def admin(self, path: str, payload: Any = None) -> Any:
        """The mock's control API (mock_only tests): POST with a JSON body, or GET."""
        method = "GET" if payload is None else "POST"
        raw = _send(self.url(f"/__admin/{path}"), method, {}, payload)
        assert raw.status < 300, f"/__admin/{path}: HTTP {raw.status} {raw.text}"
        return json.loads(raw.text)

    def expire(self, token: str, seconds: float) -> None:
        """Move the mock's clock forward for one token only."""
        self.admin("clock/advance", {"seconds": seconds, "token": token})

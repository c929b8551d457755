"""An integrator's ID Mobile client: the kind of code dqe-mock is there to test.

It uses only the standard library. Point it at DQE in production, at dqe-mock in tests.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Seconds between two polls of /GET/ while the answer is pending: DQE documents no interval;
# a person has to consent on their phone, so once a second is prompt enough (dqe-mock's
# client report flags anything faster, docs/client-report.md).
POLL_INTERVAL = 1.0


def steady(poll: int) -> float:
    """The default backoff: POLL_INTERVAL before every poll after the first."""
    return POLL_INTERVAL


class IdMobileError(Exception):
    """DQE answered with a documented error."""

    def __init__(self, error_id: str, label: str) -> None:
        super().__init__(f"DQE error {error_id}: {label}")
        self.error_id = error_id


@dataclass
class Started:
    """A check waiting for the user's consent."""

    token: str
    operator: str
    url: str


class IdMobileClient:
    """Token, initiation and polling, as DQE documents them (POST, form-encoded)."""

    def __init__(
        self,
        base_url: str,
        licence: str,
        client_secret: str,
        partner: str,
        backoff: Callable[[int], float] = steady,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        """`backoff(n)`: seconds to wait before poll n (1, 2, ...) of /GET/; `sleep` waits
        (tests inject one that moves the mock's clock instead of waiting)."""
        self.base_url = base_url.rstrip("/")
        self.licence = licence
        self.client_secret = client_secret
        self.partner = partner
        self.backoff = backoff
        self.sleep = sleep

    def _post(self, endpoint: str, params: dict[str, str]) -> Any:
        data = urllib.parse.urlencode(params).encode()
        request = urllib.request.Request(f"{self.base_url}/{endpoint}/", data=data, method="POST")
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
        with urllib.request.urlopen(request, timeout=10) as response:
            body = json.loads(response.read())
        if isinstance(body, dict) and body.get("status") == "error":
            raise IdMobileError(body["error_id"], body["error_type"])
        return body

    def token(self) -> str:
        """A fresh access token."""
        body = self._post(
            "ACCESS_TOKEN",
            {
                "client_secret": self.client_secret,
                "grant_type": "client_idmobile",
                "licence": self.licence,
            },
        )
        return str(body["access_token"])

    def start_formfilling(self, number: str, redirect_uri: str) -> Started:
        """Ask the operator for the subscriber's data; the user must consent at `url`."""
        token = self.token()
        body = self._post(
            "IDMOBILE",
            {
                "number": number,
                "token": token,
                "mode": "2",
                "name": self.partner,
                "licence": self.licence,
                "scope": "formfilling",
                "redirect_uri": redirect_uri,
            },
        )
        return Started(token, body["operator"], body["url"])

    def result(self, token: str, scope: str = "formfilling", max_polls: int = 20) -> dict[str, Any]:
        """Poll /GET/ until it is no longer pending (at most `max_polls` times), waiting
        `backoff(n)` seconds before each poll after the first; never after the final answer."""
        for poll in range(max_polls):
            if poll:
                self.sleep(self.backoff(poll))
            body = self._post("GET", {"token": token, "Licence": self.licence, "scope": scope})
            if body.get("status") != "pending":
                return dict(body)
        raise TimeoutError(f"still pending after {max_polls} polls")

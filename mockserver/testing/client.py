"""A small async client of the ID Mobile API that checks every body against the contract."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession
from yarl import URL

from mockserver.contract.errors import error_id_of
from mockserver.contract.schemas import Violation, contract, response_schema
from mockserver.contract.scopes import needs_user_infos, takes_mode
from mockserver.contract.user_infos import user_infos_keys

DEFAULT_LICENCE = "100001"
DEFAULT_SECRET = "demo-secret"


def user_infos(**values: str) -> str:
    """A user_infos JSON text with all twelve keys (empty unless given)."""
    return json.dumps({k: values.get(k, "") for k in user_infos_keys()})


@dataclass
class Reply:
    """One HTTP exchange with the body decoded and checked against its schema."""

    status: int
    body: Any
    content_type: str
    violations: list[Violation] = field(default_factory=list)

    @property
    def error_id(self) -> str | None:
        """The DQE error id (business) or OAuth error (token), if the body is an error."""
        return error_id_of(self.body)


class DqeClient:
    """Calls /ACCESS_TOKEN/, /IDMOBILE/ and /GET/ with GET or POST; base_url is the server root."""

    def __init__(self, session: ClientSession, base_url: str | URL) -> None:
        self.session = session
        self.base_url = URL(str(base_url))

    async def call(self, endpoint: str, params: Mapping[str, str], method: str = "GET") -> Reply:
        """One call; the body is validated against the endpoint's response schema."""
        url = self.base_url.with_path(f"/{endpoint}/")
        if method == "GET":
            response = await self.session.get(url, params=dict(params))
        else:
            response = await self.session.post(url, data=dict(params))
        async with response:
            text = await response.text()
            ctype = response.content_type
            status = response.status
        body = json.loads(text) if ctype == "application/json" else text
        violations = contract().validate_response(response_schema(endpoint, status), body)
        return Reply(status, body, ctype, violations)

    async def token(
        self, licence: str = DEFAULT_LICENCE, secret: str = DEFAULT_SECRET, method: str = "GET"
    ) -> str:
        """A fresh access token (raises AssertionError if the server refuses)."""
        reply = await self.call(
            "ACCESS_TOKEN",
            {"client_secret": secret, "grant_type": "client_idmobile", "licence": licence},
            method,
        )
        if reply.status != 200 or not isinstance(reply.body, dict):
            raise AssertionError(f"/ACCESS_TOKEN/ refused: HTTP {reply.status} {reply.body}")
        return str(reply.body["access_token"])

    async def idmobile(
        self,
        token: str,
        number: str,
        scope: str,
        method: str = "GET",
        licence: str = DEFAULT_LICENCE,
        **extra: str,
    ) -> Reply:
        """/IDMOBILE/ with mode=2, name=ACME, and user_infos for matching scopes unless given."""
        params = {
            "number": number,
            "token": token,
            "name": "ACME",
            "licence": licence,
            "scope": scope,
        }
        if takes_mode(scope):
            params["mode"] = "2"
        if needs_user_infos(scope):
            params["user_infos"] = user_infos()
        params.update(extra)
        return await self.call(
            "IDMOBILE", {k: v for k, v in params.items() if v is not None}, method
        )

    async def get(
        self, token: str, scope: str, method: str = "GET", licence: str = DEFAULT_LICENCE
    ) -> Reply:
        """/GET/ with the documented Licence spelling."""
        return await self.call("GET", {"token": token, "Licence": licence, "scope": scope}, method)

    async def visit(self, url: str, **form: str) -> tuple[int, str | None, str]:
        """Answer a consent url without following redirects: (status, Location, body text).

        POSTs the form (decision, otp) as the consent page does; with no fields the mock's
        user acts as the scenario says (right code; the scenario's decision).
        """
        response = await self.session.post(url, data=form, allow_redirects=False)
        async with response:
            return response.status, response.headers.get("Location"), await response.text()

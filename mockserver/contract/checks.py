"""Contract checks of one exchange with any ID Mobile server: small named functions.

Each check takes the operation (what was asked) and the response (what came back) and raises
ContractViolation, an AssertionError, when the answer breaks the contract, so that a failure
reads like a sentence in pytest. The rules come from schemas/: the response schemas and the
error catalogue (which ids an endpoint and scope may return, with which labels and statuses).

The contract suite runs them with `check_all` (the first violation fails the test); the proxy
runs them with `violations` (every violation of an answer is reported). `mockserver.testing.
checks` re-exports them for integrators.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.contract.errors import UnknownErrorId, catalogue, error_id_of, split_scope
from mockserver.contract.schemas import Violation, contract, response_schema
from mockserver.contract.scopes import direct_scopes

JSON_TYPE = "application/json"
# responses/matching_notp.schema.json: the scores /IDMOBILE/ answers for a direct scope.
SCORES_SCHEMA = "matching_notp"


class ContractViolation(AssertionError):
    """An answer that breaks the contract: which operation, which rule, what is wrong.

    `pointer` is the JSON pointer of the offending part of the body ("" for the whole answer);
    `details` are the schema's own violations, when the rule is the response schema.
    """

    def __init__(
        self,
        operation: str,
        rule: str,
        message: str,
        pointer: str = "",
        details: tuple[Violation, ...] = (),
    ) -> None:
        self.operation = operation
        self.rule = rule
        self.message = message
        self.pointer = pointer
        self.details = details
        super().__init__(f"{operation} broke {rule}: {message}")


@dataclass(frozen=True)
class Operation:
    """What was asked: ACCESS_TOKEN, IDMOBILE or GET, by GET or POST, with these parameters."""

    endpoint: str
    method: str = "GET"
    params: Mapping[str, str] = field(default_factory=dict)

    @property
    def scope(self) -> str | None:
        """The scope the request named, if any."""
        value = self.params.get("scope")
        return value if isinstance(value, str) and value else None

    def __str__(self) -> str:
        scope = f" (scope {self.scope})" if self.scope else ""
        return f"{self.method} /{self.endpoint}/{scope}"


@dataclass(frozen=True)
class Response:
    """What came back: status, content type, raw text, and the decoded JSON body (or None)."""

    status: int
    content_type: str
    text: str
    body: Any = None

    @classmethod
    def from_text(cls, status: int, content_type: str, text: str | bytes) -> Response:
        """Decode `text` (bytes are read as UTF-8) as JSON when it parses; None otherwise."""
        try:
            body = json.loads(text)
        except (ValueError, RecursionError):
            body = None
        if isinstance(text, bytes):
            text = text.decode("utf-8", errors="replace")
        return cls(status, content_type, text, body)

    @property
    def error_id(self) -> str | None:
        """The business error id, or the OAuth error of /ACCESS_TOKEN/, if the body has one."""
        return error_id_of(self.body)

    @property
    def status_field(self) -> str | None:
        """The body's status key (success, pending, error), if it has one."""
        value = self.body.get("status") if isinstance(self.body, dict) else None
        return value if isinstance(value, str) else None

    @property
    def has_json_type(self) -> bool:
        """Is the Content-Type application/json (parameters such as charset aside)?"""
        return self.content_type.split(";")[0].strip().lower() == JSON_TYPE


Check = Callable[[Operation, Response], None]


def _fail(operation: Operation, rule: Check, message: str, pointer: str = "") -> ContractViolation:
    return ContractViolation(str(operation), rule.__name__, message, pointer)


def _is_token_error(operation: Operation, response: Response) -> bool:
    return (
        operation.endpoint == "ACCESS_TOKEN"
        and isinstance(response.body, dict)
        and ("error" in response.body)
    )


def _error_pointer(operation: Operation, response: Response) -> str:
    return "/error" if _is_token_error(operation, response) else "/error_id"


def _where(operation: Operation) -> str:
    scope = operation.scope
    return f"/{operation.endpoint}/" + (f" for scope {scope}" if scope else "")


def content_type_is_json(operation: Operation, response: Response) -> None:
    """Every documented answer is JSON, declared as such."""
    if not response.has_json_type:
        raise _fail(
            operation,
            content_type_is_json,
            f"HTTP {response.status}: Content-Type is {response.content_type or 'missing'!r}, "
            f"not {JSON_TYPE}",
        )


def response_matches_schema(operation: Operation, response: Response) -> None:
    """The body validates against the endpoint's response schema."""
    if response.body is None:
        raise _fail(operation, response_matches_schema, f"the body is not JSON: {response.text!r}")
    # Judged by the body's shape: the status has a check of its own.
    schema = response_schema(
        operation.endpoint, 400 if _is_token_error(operation, response) else 200
    )
    violations = tuple(contract().validate_response(schema, response.body))
    if violations:
        details = "; ".join(str(v) for v in violations)
        failure = _fail(operation, response_matches_schema, f"{schema}.schema.json: {details}")
        failure.details = violations
        raise failure


def status_code_documented(operation: Operation, response: Response) -> None:
    """200 for business answers (errors included), the catalogue's status for token errors."""
    expected = 200
    error_id = response.error_id
    if error_id is not None and error_id in catalogue():
        expected = catalogue().get(error_id).http_status
    if response.status != expected:
        what = f"error {error_id}" if error_id else "a business answer"
        pointer = _error_pointer(operation, response) if error_id else ""
        raise _fail(
            operation,
            status_code_documented,
            f"HTTP {response.status} for {what}; the documented status is {expected}",
            pointer,
        )


def error_id_allowed(operation: Operation, response: Response) -> None:
    """An error id is one the catalogue lets this endpoint return for this scope."""
    error_id = response.error_id
    if error_id is None:
        return
    allowed = catalogue().ids_for(operation.endpoint, operation.scope)
    if error_id not in allowed:
        raise _fail(
            operation,
            error_id_allowed,
            f"error {error_id} cannot be returned by {_where(operation)} "
            f"(allowed: {', '.join(allowed)})",
            _error_pointer(operation, response),
        )


def error_label_matches(operation: Operation, response: Response) -> None:
    """A business error's error_type is a label the catalogue gives its id in this scope."""
    error_id = response.error_id
    if error_id is None or _is_token_error(operation, response):
        return
    assert isinstance(response.body, dict)  # error_id is only read from a dict
    label = response.body.get("error_type")
    try:
        entry = catalogue().get(error_id)
    except UnknownErrorId:
        message = f"error {error_id!r} has no label"
        raise _fail(operation, error_label_matches, message, "/error_id") from None
    labels = entry.labels_in_scope(operation.scope)
    if not isinstance(label, str) or not re.fullmatch(entry.label_regex(labels), label):
        expected = " or ".join(repr(t) for t in labels)
        raise _fail(
            operation,
            error_label_matches,
            f"{label!r} is not the label of error {error_id} on {_where(operation)} "
            f"(expected {expected})",
            "/error_type",
        )


def body_fits_scope(operation: Operation, response: Response) -> None:
    """Scores come only from matching_notp; pending and results name the requested scope."""
    body = response.body
    if not isinstance(body, dict) or response.error_id is not None or not operation.scope:
        return
    if operation.endpoint == "IDMOBILE":
        scores = not contract().validate_response(SCORES_SCHEMA, body) and "status" not in body
        if scores and operation.scope not in direct_scopes():
            direct = ", ".join(sorted(direct_scopes()))
            raise _fail(operation, body_fits_scope, f"scores answered outside {direct}")
    elif operation.endpoint == "GET":
        answered = body.get("scope")
        same = isinstance(answered, str) and sorted(split_scope(answered)) == sorted(
            split_scope(operation.scope)
        )
        if not same:
            raise _fail(operation, body_fits_scope, f"scope {answered!r} answered", "/scope")


ALL_CHECKS: tuple[Check, ...] = (
    content_type_is_json,
    response_matches_schema,
    status_code_documented,
    error_id_allowed,
    error_label_matches,
    body_fits_scope,
)


def check_all(
    operation: Operation, response: Response, checks: tuple[Check, ...] = ALL_CHECKS
) -> None:
    """Run every check; the first violation is raised."""
    for check in checks:
        check(operation, response)


def violations(
    operation: Operation, response: Response, checks: tuple[Check, ...] = ALL_CHECKS
) -> list[ContractViolation]:
    """Every violation of one answer, in the order of `checks`.

    An answer that is not declared JSON, or not JSON at all, is judged by that alone: the
    other checks read the body. A check's violation at a place (JSON pointer) the response
    schema already flagged is left out: one place, one finding.
    """
    found: list[ContractViolation] = []
    for check in checks:
        try:
            check(operation, response)
        except ContractViolation as violation:
            flagged = {d.pointer for f in found for d in f.details}
            if not (violation.pointer and violation.pointer in flagged):
                found.append(violation)
            if check is content_type_is_json or response.body is None:
                break
    return found

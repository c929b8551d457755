"""The suite's checks: small named functions raising ContractViolation (an AssertionError).

They live in mockserver.testing.checks, so that integrators can run them on their own
exchanges; the suite applies ALL_CHECKS to every answer (see target.Target.call).
"""

from mockserver.testing.checks import (
    ALL_CHECKS,
    Check,
    ContractViolation,
    Operation,
    Response,
    body_fits_scope,
    check_all,
    content_type_is_json,
    error_id_allowed,
    error_label_matches,
    response_matches_schema,
    status_code_documented,
)

__all__ = [
    "ALL_CHECKS",
    "Check",
    "ContractViolation",
    "Operation",
    "Response",
    "body_fits_scope",
    "check_all",
    "content_type_is_json",
    "error_id_allowed",
    "error_label_matches",
    "response_matches_schema",
    "status_code_documented",
]

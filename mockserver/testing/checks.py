"""The contract checks, for integrators' own tests: see mockserver.contract.checks.

Small named functions over an (Operation, Response) pair, each raising ContractViolation (an
AssertionError); the contract suite and `dqe-mock proxy` run the same ones.
"""

from mockserver.contract.checks import (
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
    violations,
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
    "violations",
]

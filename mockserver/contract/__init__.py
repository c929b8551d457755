"""The contract as data: schemas and the error catalogue, read from schemas/ (no aiohttp, no domain)."""

from mockserver.contract.errors import DqeError, ErrorCatalogue, ErrorEntry, catalogue
from mockserver.contract.schemas import Contract, Violation, ViolationSet, contract

__all__ = [
    "Contract",
    "DqeError",
    "ErrorCatalogue",
    "ErrorEntry",
    "Violation",
    "ViolationSet",
    "catalogue",
    "contract",
]

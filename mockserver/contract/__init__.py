"""The contract as data: schemas and the error catalogue, read from schemas/.

Imports neither aiohttp nor the domain.
"""

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

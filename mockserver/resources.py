"""Where the shipped data lives: the contract (schemas/) and the default scenario pack."""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parent.parent


def _data_dir(name: str) -> Traversable:
    """Return the shipped directory `name`: inside the wheel, else the source checkout's."""
    shipped = resources.files("mockserver") / "_data" / name
    if shipped.is_dir():
        return shipped
    # Editable installs and plain checkouts: hatchling's force-include only applies to built
    # wheels, so the data is read from the repository root, where people edit it.
    checkout = _REPO_ROOT / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"dqe-mock data directory {name!r} is missing from the installation")


def schemas_dir() -> Traversable:
    """The directory that holds the JSON Schemas, the error catalogue and the OpenAPI file."""
    return _data_dir("schemas")


def scenarios_dir() -> Traversable:
    """The directory that holds the built-in scenario pack."""
    return _data_dir("scenarios")

"""The layering rule of docs/architecture.md, checked on the imports themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mockserver"
# layer -> modules it must never import (prefix match on the imported module name)
FORBIDDEN = {
    "contract": (
        "aiohttp",
        "mockserver.domain",
        "mockserver.http",
        "mockserver.testing",
        "mockserver.cli",
    ),
    "domain": ("aiohttp", "mockserver.http", "mockserver.testing", "mockserver.cli"),
    "store": ("aiohttp", "mockserver.http", "mockserver.testing", "mockserver.cli"),
    "http": ("mockserver.testing", "mockserver.cli"),
    "testing": ("mockserver.cli",),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_imports_point_down_only(layer: str) -> None:
    files = sorted((PACKAGE / layer).rglob("*.py"))
    assert files, f"no modules found for layer {layer}"
    offences = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in files
        for name in sorted(imported_modules(path))
        if name.startswith(FORBIDDEN[layer])
    ]
    assert offences == []


# Suites that judge the mock take their expectations from the contract and hand-written
# tables, never from the mock's domain: a wrong rule there must not make them agree.
INDEPENDENT = {
    "contract_tests": PACKAGE.parent / "contract_tests",
    "mockserver/testing/strategies": PACKAGE / "testing" / "strategies",
}


@pytest.mark.parametrize("where", sorted(INDEPENDENT))
def test_the_oracles_import_nothing_from_the_domain(where: str) -> None:
    files = sorted(INDEPENDENT[where].rglob("*.py"))
    assert files, f"no modules found in {where}"
    offences = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in files
        for name in sorted(imported_modules(path))
        if name.startswith("mockserver.domain")
    ]
    assert offences == []

"""Generate the error response schemas from the catalogue: `python -m mockserver.contract.generate`.

The generated files are committed (the OpenAPI document references them); `--check` fails when
they drift from schemas/errors.json, and a test runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mockserver.contract.errors import ErrorCatalogue, catalogue
from mockserver.resources import schemas_dir

NOTICE = (
    "Generated from schemas/errors.json by `python -m mockserver.contract.generate`; do not edit."
)


def error_schema(cat: ErrorCatalogue) -> dict[str, Any]:
    """The business error body: each error_id paired with the labels the catalogue gives it."""
    pairings = [
        {
            "if": {"properties": {"error_id": {"const": e.id}}, "required": ["error_id"]},
            "then": {
                "description": f"error_type must be the catalogue's label for error_id {e.id}",
                "properties": {"error_type": {"pattern": e.label_regex()}},
            },
        }
        for e in cat.business.values()
    ]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "DQE business error (/IDMOBILE/ and /GET/)",
        "description": NOTICE,
        "x-dqe-doc": "every page's Error table",
        "type": "object",
        "required": ["status", "error_type", "error_id"],
        "properties": {
            "status": {"const": "error"},
            "error_type": {"type": "string"},
            "error_id": {"enum": list(cat.business)},
        },
        "allOf": pairings,
    }


def token_error_schema(cat: ErrorCatalogue) -> dict[str, Any]:
    """The /ACCESS_TOKEN/ error body (HTTP 400, OAuth 2 style)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "/ACCESS_TOKEN/ error (HTTP 400)",
        "description": NOTICE,
        "x-dqe-doc": "ID Mobile — Token (Error)",
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"enum": list(cat.token)},
            "error_description": {"type": "string"},
        },
    }


def generated(cat: ErrorCatalogue) -> dict[str, str]:
    """Relative path -> file text of every generated schema."""
    files = {
        "responses/error.schema.json": error_schema(cat),
        "responses/access_token_error.schema.json": token_error_schema(cat),
    }
    return {
        path: json.dumps(doc, indent=2, ensure_ascii=False) + "\n" for path, doc in files.items()
    }


def main(argv: list[str] | None = None) -> int:
    """Write the generated schemas, or with --check report the ones that differ."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if a file is out of date")
    parser.add_argument("--root", type=Path, help="schemas directory (default: the shipped one)")
    args = parser.parse_args(argv)
    root = args.root or Path(str(schemas_dir()))
    stale = []
    for rel, text in generated(catalogue()).items():
        path = root / rel
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(rel)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print(f"out of date (run python -m mockserver.contract.generate): {', '.join(stale)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

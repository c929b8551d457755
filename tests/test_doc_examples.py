"""Every JSON example of the vendor docs validates against the contract, or is a listed defect."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockserver.contract import Violation, catalogue, contract

EXAMPLES = Path(__file__).parent / "fixtures" / "doc_examples"
INDEX: list[dict[str, Any]] = yaml.safe_load((EXAMPLES / "index.yaml").read_text("utf-8"))[
    "examples"
]
# The union of every answer an endpoint may give (responses/<stem>.schema.json).
ENDPOINT_SCHEMA = {"ACCESS_TOKEN": "access_token", "IDMOBILE": "idmobile", "GET": "get"}


def _id(entry: dict[str, Any]) -> str:
    source = entry["source"]
    line = f":{source['line']}" if source["line"] else ""
    page = source["page"] if source["page"].endswith(".txt") else "token-page"
    return f"{page}{line}:{entry['schema']}"


def _params(entries: list[dict[str, Any]]) -> list[Any]:
    return [pytest.param(e, id=_id(e)) for e in entries]


VALID = [e for e in INDEX if "defective" not in e]
DEFECTIVE = [e for e in INDEX if "defective" in e]
ERRORS = [e for e in INDEX if e["schema"] == "error"]


def _example(entry: dict[str, Any]) -> Any:
    return json.loads((EXAMPLES / entry["file"]).read_text("utf-8"))


def _pointers(violations: list[Violation]) -> list[str]:
    return sorted(v.pointer for v in violations)


def _get(document: Any, pointer: str) -> Any:
    for part in pointer.lstrip("/").split("/"):
        document = document[part.replace("~1", "/").replace("~0", "~")]
    return document


def test_index_lists_every_example_file_once() -> None:
    listed = [e["file"] for e in INDEX]
    assert len(listed) == len(set(listed)), "a file is listed twice in index.yaml"
    assert set(listed) == {p.name for p in EXAMPLES.glob("*.json")}


def test_index_entries_name_a_source_and_an_existing_schema() -> None:
    for entry in INDEX:
        assert entry["source"]["page"], entry["file"]
        assert entry["source"]["section"], entry["file"]
        assert entry["endpoint"] in ENDPOINT_SCHEMA, entry["file"]
        assert f"responses/{entry['schema']}.schema.json" in contract().schemas, entry["file"]


def test_every_page_with_examples_is_covered() -> None:
    pages = {e["source"]["page"] for e in INDEX}
    expected = {
        "formfilling.txt",
        "matching-notp.txt",
        "matching-notp-response.txt",
        "numverify.txt",
    }
    assert expected <= pages
    assert len(INDEX) == 14


@pytest.mark.parametrize("entry", _params(VALID))
def test_example_validates_against_its_schema(entry: dict[str, Any]) -> None:
    violations = contract().validate_response(entry["schema"], _example(entry))
    assert violations == [], "; ".join(map(str, violations))


@pytest.mark.parametrize("entry", _params(INDEX))
def test_example_is_one_of_its_endpoint_answers(entry: dict[str, Any]) -> None:
    body = json.loads(entry["repaired"]) if "defective" in entry else _example(entry)
    violations = contract().validate_response(ENDPOINT_SCHEMA[entry["endpoint"]], body)
    assert violations == [], "; ".join(map(str, violations))


@pytest.mark.parametrize("entry", _params(DEFECTIVE))
def test_defective_example_fails_exactly_at_the_listed_pointers(entry: dict[str, Any]) -> None:
    violations = contract().validate_response(entry["schema"], _example(entry))
    assert _pointers(violations) == sorted(entry["defective"]), "; ".join(map(str, violations))
    assert entry["why"].strip()


@pytest.mark.parametrize("entry", _params(DEFECTIVE))
def test_repaired_example_passes(entry: dict[str, Any]) -> None:
    violations = contract().validate_response(entry["schema"], json.loads(entry["repaired"]))
    assert violations == [], "; ".join(map(str, violations))


@pytest.mark.parametrize("entry", _params(DEFECTIVE))
def test_repair_changes_only_the_defective_values(entry: dict[str, Any]) -> None:
    original, repaired = _example(entry), json.loads(entry["repaired"])
    for pointer in entry["defective"]:
        assert _get(original, pointer) != _get(repaired, pointer), pointer
        _put(original, pointer, _get(repaired, pointer))
    assert original == repaired


def _put(document: Any, pointer: str, value: Any) -> None:
    *parents, last = pointer.lstrip("/").split("/")
    for part in parents:
        document = document[part]
    document[last] = value


@pytest.mark.parametrize("entry", _params(ERRORS))
def test_error_example_is_allowed_where_the_page_shows_it(entry: dict[str, Any]) -> None:
    body = _example(entry)
    error = catalogue().get(body["error_id"])
    assert error.allowed(entry["endpoint"], entry["scope"])
    labels = error.labels_in_scope(entry["scope"])
    assert body["error_type"] in labels, f"{body['error_type']!r} not in {labels}"

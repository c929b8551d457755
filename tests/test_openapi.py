"""schemas/openapi.yaml is a valid OpenAPI 3.1 document that only references the JSON Schemas."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from mockserver.contract.schemas import REQUEST_SCHEMAS

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
OPENAPI = SCHEMAS / "openapi.yaml"
SPEC: dict[str, Any] = yaml.safe_load(OPENAPI.read_text("utf-8"))
PATHS = {"ACCESS_TOKEN": "/ACCESS_TOKEN/", "IDMOBILE": "/IDMOBILE/", "GET": "/GET/"}
FORM = "application/x-www-form-urlencoded"
# Keywords that would mean a schema was copied into the document instead of referenced.
SCHEMA_KEYWORDS = {"properties", "type", "enum", "const", "pattern", "anyOf", "oneOf", "allOf"}


def resolve_internal(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a '#/components/...' reference inside the OpenAPI document."""
    while "$ref" in node and node["$ref"].startswith("#/"):
        target: Any = SPEC
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in SPEC["paths"].items():
        for method in ("get", "post"):
            if method in item:
                yield path, method, item[method]


def refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


def external_ref(schema: dict[str, Any]) -> str:
    """The schema must be exactly one $ref to a file under schemas/; return the reference."""
    assert set(schema) == {"$ref"}, f"inline schema: {schema}"
    ref = schema["$ref"]
    assert not ref.startswith("#"), ref
    target = (SCHEMAS / ref.split("#")[0]).resolve()
    assert target.is_relative_to(SCHEMAS), ref
    return ref


def test_document_validates() -> None:
    spec, base_uri = read_from_filename(str(OPENAPI))
    assert spec["openapi"].startswith("3.1")
    validate(spec, base_uri=base_uri)


@pytest.mark.parametrize(
    "where",
    [
        ("components", "parameters", "GetScope", "schema"),
        ("components", "responses", "Get", "content", "application/json", "schema"),
    ],
    ids=["parameter", "response"],
)
def test_validation_follows_the_file_references(where: tuple[str, ...]) -> None:
    """A control: the same document with one dangling reference must not validate.

    (openapi-spec-validator 0.9 does not descend into requestBody schemas, so those
    references are checked by test_every_reference_resolves alone.)
    """
    spec, base_uri = read_from_filename(str(OPENAPI))
    broken = copy.deepcopy(spec)
    node = broken
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = {"$ref": "./common.schema.json#/$defs/no_such_definition"}
    with pytest.raises(Exception, match="no_such_definition"):
        validate(broken, base_uri=base_uri)


def test_info_servers_and_tags() -> None:
    assert SPEC["info"]["title"]
    assert SPEC["info"]["version"]
    assert SPEC["servers"][0]["url"].startswith("http://127.0.0.1:")
    declared = {t["name"] for t in SPEC["tags"]}
    for path, method, operation in operations():
        assert operation["tags"], f"{method} {path}"
        assert set(operation["tags"]) <= declared, f"{method} {path}"


def test_each_endpoint_has_get_and_post_and_nothing_else() -> None:
    assert set(SPEC["paths"]) == set(PATHS.values())
    for path, item in SPEC["paths"].items():
        assert set(item) == {"get", "post"}, path


@pytest.mark.parametrize("endpoint", list(PATHS))
def test_post_body_is_the_request_schema(endpoint: str) -> None:
    operation = SPEC["paths"][PATHS[endpoint]]["post"]
    assert "parameters" not in operation
    body = resolve_internal(operation["requestBody"])
    assert body["required"] is True
    assert set(body["content"]) == {FORM}
    ref = external_ref(body["content"][FORM]["schema"])
    assert ref == f"./{REQUEST_SCHEMAS[endpoint]}"


@pytest.mark.parametrize("endpoint", list(PATHS))
def test_get_parameters_are_the_request_schema_properties(endpoint: str) -> None:
    """Every property is a query parameter, required exactly when the schema says so."""
    operation = SPEC["paths"][PATHS[endpoint]]["get"]
    assert "requestBody" not in operation
    schema = json.loads((SCHEMAS / REQUEST_SCHEMAS[endpoint]).read_text("utf-8"))
    params = [resolve_internal(p) for p in operation["parameters"]]
    assert all(p["in"] == "query" for p in params)
    assert sorted(p["name"] for p in params) == sorted(schema["properties"])
    for param in params:
        assert param["required"] is (param["name"] in schema["required"]), param["name"]
        assert REQUEST_SCHEMAS[endpoint] in param["description"], param["name"]


def test_every_parameter_schema_is_a_reference() -> None:
    for path, method, operation in operations():
        for param in map(resolve_internal, operation.get("parameters", [])):
            if "schema" in param:
                external_ref(param["schema"])
            else:
                for media in param["content"].values():
                    external_ref(media["schema"])
            assert param["description"], f"{method} {path} {param['name']}"


def test_every_response_schema_is_a_reference() -> None:
    expected = {
        "/ACCESS_TOKEN/": {
            "200": "./responses/access_token.schema.json",
            "400": "./responses/access_token_error.schema.json",
        },
        # Business errors are HTTP 200: the error body is one of these answers.
        "/IDMOBILE/": {"200": "./responses/idmobile.schema.json"},
        "/GET/": {"200": "./responses/get.schema.json"},
    }
    for path, method, operation in operations():
        found = {}
        for status, response in operation["responses"].items():
            content = resolve_internal(response)["content"]
            assert set(content) == {"application/json"}, f"{method} {path} {status}"
            found[status] = external_ref(content["application/json"]["schema"])
        assert found == expected[path], f"{method} {path}"


def test_business_errors_are_part_of_the_200_answers() -> None:
    for name in ("idmobile", "get"):
        union = json.loads((SCHEMAS / "responses" / f"{name}.schema.json").read_text("utf-8"))
        assert {"$ref": "./error.schema.json"} in union["oneOf"], name


def test_no_schema_is_copied_into_the_document() -> None:
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            copied = SCHEMA_KEYWORDS & set(node)
            assert not copied, f"{where}: {sorted(copied)}"
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(SPEC["paths"], "#/paths")
    walk(SPEC["components"], "#/components")


def test_every_reference_resolves() -> None:
    seen = set()
    for ref in refs(SPEC):
        file, _, fragment = ref.partition("#")
        if not file:
            assert resolve_internal({"$ref": ref}) is not None
            continue
        target = SCHEMAS / file
        assert target.is_file(), ref
        node: Any = json.loads(target.read_text("utf-8"))
        for part in filter(None, fragment.split("/")):
            assert part in node, ref
            node = node[part]
        seen.add(target.resolve())
    referenced = {p.relative_to(SCHEMAS).as_posix() for p in seen}
    assert {
        *REQUEST_SCHEMAS.values(),
        "common.schema.json",
        "responses/access_token.schema.json",
        "responses/access_token_error.schema.json",
        "responses/idmobile.schema.json",
        "responses/get.schema.json",
    } <= referenced

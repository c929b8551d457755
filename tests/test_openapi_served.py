"""The contract as the mock serves it: /openapi.json, /openapi.yaml, /docs, /schemas/...

And what makes the document usable by tools: schema files without `$id`, relative `$ref`s
that resolve from disk and from the served URL alike, examples (the vendor docs' own where
they exist) valid against their schemas, links that name real operations and parameters.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import ClientSession
from aiohttp.test_utils import TestServer
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockserver.contract.openapi import bundled, component_name
from mockserver.contract.schemas import contract
from mockserver.http.apidocs import render
from mockserver.http.app import create_app
from mockserver.http.operator import PAGE_HEADERS
from mockserver.settings import Settings
from tests.test_openapi import refs

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
DOC_EXAMPLES = ROOT / "tests" / "fixtures" / "doc_examples"
SOURCE: dict[str, Any] = yaml.safe_load((SCHEMAS / "openapi.yaml").read_text("utf-8"))
METHODS = ("get", "put", "post", "delete")
SCHEMA_FILES = sorted(p.relative_to(SCHEMAS).as_posix() for p in SCHEMAS.rglob("*.schema.json"))


def pointer(document: Any, ref: str) -> Any:
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = pointer(document, node["$ref"])
    return node


async def fetch(server: TestServer, path: str, **headers: str) -> tuple[int, str, str]:
    async with (
        ClientSession() as http,
        http.get(server.make_url(path), headers=headers) as reply,
    ):
        return reply.status, reply.content_type, await reply.text()


# -- the bundled document -------------------------------------------------------------------


def test_every_reference_of_the_bundle_is_internal_and_resolves() -> None:
    document = bundled()
    found = list(refs(document))
    assert len(found) > 100
    for ref in found:
        assert ref.startswith("#/"), ref
        assert pointer(document, ref) is not None, ref
    validate(document)


def test_the_bundle_has_the_source_operations_and_one_component_per_schema_file() -> None:
    document = bundled()
    operations = {(p, m) for p, item in SOURCE["paths"].items() for m in METHODS if m in item}
    bundled_operations = {
        (p, m) for p, item in document["paths"].items() for m in METHODS if m in item
    }
    assert bundled_operations == operations
    schemas = document["components"]["schemas"]
    # Every schema file but the catalogue's own schema (errors.json is not part of the API).
    used = set(SCHEMA_FILES) - {"errors.schema.json"}
    assert {component_name(f) for f in used} <= set(schemas)
    assert component_name("requests/idmobile.schema.json") == "requests.idmobile"
    assert "common.licence" in schemas  # $defs become components of their own
    assert not any("$id" in s or "$schema" in s for s in schemas.values() if isinstance(s, dict))


def test_a_bundled_schema_validates_as_its_file_does() -> None:
    """The bundle changes where schemas live, not what they accept: the docs' formfilling
    example (repaired) passes both, and the same two defects fail both."""
    document = bundled()
    registry: Registry[Any] = Registry().with_resource(
        "urn:bundle", Resource.from_contents(document, default_specification=DRAFT202012)
    )
    bundled_get = Draft202012Validator(
        {"$ref": "urn:bundle#/components/schemas/responses.get"}, registry=registry
    )
    example = json.loads((DOC_EXAMPLES / "formfilling.get_success.json").read_text("utf-8"))
    bundled_errors = sorted(
        "/".join(map(str, e.absolute_path)) for e in bundled_get.iter_errors(example)
    )
    file_errors = sorted(
        v.pointer.lstrip("/") for v in contract().validate_response("get", example)
    )
    assert bundled_errors == file_errors == ["formfilling/birthdate", "formfilling/updated_at"]


# -- served ---------------------------------------------------------------------------------


async def test_the_served_document_names_this_mock_as_its_server(server: TestServer) -> None:
    status, ctype, text = await fetch(server, "/openapi.json")
    assert (status, ctype) == (200, "application/json")
    served = json.loads(text)
    assert served["servers"] == [
        {"url": str(server.make_url("")).rstrip("/"), "description": "This dqe-mock"}
    ]
    assert {k: v for k, v in served.items() if k != "servers"} == {
        k: v for k, v in bundled().items() if k != "servers"
    }
    status, ctype, text = await fetch(server, "/openapi.yaml")
    assert (status, ctype) == (200, "application/yaml")
    assert yaml.safe_load(text) == served


async def test_the_served_server_follows_the_host_header_when_valid(server: TestServer) -> None:
    _, _, text = await fetch(server, "/openapi.json", Host="mock.example:9000")
    assert json.loads(text)["servers"][0]["url"] == "http://mock.example:9000"
    _, _, text = await fetch(server, "/openapi.json", Host="bad host/<x>")
    assert json.loads(text)["servers"][0]["url"] == str(server.make_url("")).rstrip("/")


async def test_the_served_server_is_the_public_url_when_given() -> None:
    settings = Settings(seed=7, frozen_clock=True, public_url="https://dqe.example/sandbox")
    async with TestServer(create_app(settings), host="127.0.0.1") as srv:
        _, _, text = await fetch(srv, "/openapi.json", Host="other.example")
    assert json.loads(text)["servers"][0]["url"] == "https://dqe.example/sandbox"


async def test_head_on_the_contract_routes_answers_get_without_the_body(
    server: TestServer,
) -> None:
    """mockserver/http/safe.py: HEAD elsewhere than the DQE endpoints runs the route's read."""
    async with ClientSession() as http:
        for path in ("/openapi.json", "/openapi.yaml", "/docs", "/schemas/common.schema.json"):
            async with http.head(server.make_url(path)) as head:
                assert await head.read() == b"", path
            async with http.get(server.make_url(path)) as get:
                assert len(await get.read()) > 1000, path
            assert (head.status, head.content_type) == (200, get.content_type), path


async def test_docs_page_is_static_html_with_the_consent_page_headers(server: TestServer) -> None:
    async with ClientSession() as http, http.get(server.make_url("/docs")) as reply:
        assert reply.status == 200
        assert reply.content_type == "text/html"
        for name, value in PAGE_HEADERS.items():
            assert reply.headers[name] == value, name
        page = await reply.text()
    assert "<script" not in page.lower()
    assert "src=" not in page  # nothing fetched from anywhere
    for item in SOURCE["paths"].values():
        for method in METHODS:
            if method in item:
                assert f"id='{item[method]['operationId']}'" in page


def test_docs_page_escapes_every_value_of_the_document() -> None:
    hostile = "<script>alert(1)</script>"
    document = {
        "info": {"title": hostile, "version": hostile, "description": hostile},
        "servers": [{"url": hostile}],
        "tags": [{"name": hostile, "description": hostile}],
        "paths": {
            "/x": {"get": {"tags": [hostile], "operationId": hostile, "summary": hostile,
                           "responses": {"200": {"description": hostile}}}},
        },
        "components": {"schemas": {hostile: {"title": hostile}}},
    }  # fmt: skip
    page = render(document)
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_schema_files_are_served_as_they_are_on_disk(server: TestServer) -> None:
    for name in [*SCHEMA_FILES, "errors.json", "openapi.yaml"]:
        status, ctype, text = await fetch(server, f"/schemas/{name}")
        assert status == 200, name
        assert ctype == ("application/yaml" if name.endswith(".yaml") else "application/json")
        assert text == (SCHEMAS / name).read_text("utf-8"), name
    for missing in ("nope.json", "../pyproject.toml", "%2e%2e/pyproject.toml", "requests"):
        status, _, _ = await fetch(server, f"/schemas/{missing}")
        assert status == 404, missing


# -- schema files usable from disk and from the served URL ----------------------------------


def test_no_schema_file_has_an_id() -> None:
    for name in SCHEMA_FILES:
        assert "$id" not in json.loads((SCHEMAS / name).read_text("utf-8")), name


def resolves_everywhere(base: str, read: Any) -> list[str]:
    """Every $ref of every schema file, resolved with no registry but `read(uri)`: a file is
    fetched only when a reference leads to it (as a tool does). Returns what failed."""

    def retrieve(uri: str) -> Resource[Any]:
        return Resource.from_contents(read(uri), default_specification=DRAFT202012)

    registry: Registry[Any] = Registry(retrieve=retrieve)
    failed = []
    for name in SCHEMA_FILES:
        resolver = registry.resolver(base_uri=base + name)
        for ref in refs(read(base + name)):
            try:
                resolver.lookup(ref)
            except Exception as exc:
                failed.append(f"{name}: {ref}: {exc}")
    return failed


def test_relative_references_resolve_from_the_files_on_disk() -> None:
    base = SCHEMAS.as_uri() + "/"
    read = lambda uri: json.loads(Path(uri.removeprefix("file://")).read_text("utf-8"))  # noqa: E731
    assert resolves_everywhere(base, read) == []


async def test_relative_references_resolve_from_the_served_url(server: TestServer) -> None:
    base = str(server.make_url("/schemas/"))
    served = {}
    for name in SCHEMA_FILES:
        status, _, text = await fetch(server, f"/schemas/{name}")
        assert status == 200
        served[base + name] = json.loads(text)
    # Only what the server answered at the URL a reference leads to: a wrong base would miss.
    assert resolves_everywhere(base, served.__getitem__) == []


# -- examples and links ---------------------------------------------------------------------


def example_uses() -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example value) of every example of the source document."""
    document = SOURCE
    for path, item in document["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            where = f"{method} {path}"
            for raw in operation.get("parameters", []):
                param = resolve(document, raw)
                if "example" in param:
                    schema = param.get("schema") or next(iter(param["content"].values()))["schema"]
                    yield f"{where} {param['name']}", schema, param["example"]
                for media in param.get("content", {}).values():
                    if "example" in media:
                        yield f"{where} {param['name']}", media["schema"], media["example"]
            holders = [("request", operation.get("requestBody"))] + [
                (status, r) for status, r in operation["responses"].items()
            ]
            for label, raw in holders:
                for media_type, media in resolve(document, raw or {}).get("content", {}).items():
                    for name, example in media.get("examples", {}).items():
                        value = resolve(document, example)["value"]
                        if media_type == "application/yaml" and isinstance(value, str):
                            value = yaml.safe_load(value)
                        yield f"{where} {label} {name}", media["schema"], value


def file_validator(schema_ref: dict[str, Any]) -> Draft202012Validator:
    """A validator of a `./file#fragment` reference of the source document."""
    return Draft202012Validator(
        {"$ref": contract().uri(schema_ref["$ref"].removeprefix("./"))},
        registry=contract().registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def test_every_example_is_valid_against_its_schema() -> None:
    checked = 0
    for where, schema, value in example_uses():
        errors = [e.message for e in file_validator(schema).iter_errors(value)]
        assert errors == [], where
        checked += 1
    assert checked >= 60


def test_every_operation_has_request_and_response_examples() -> None:
    uses = [where for where, _, _ in example_uses()]
    for path, item in SOURCE["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            operation, where = item[method], f"{method} {path}"
            takes_input = "requestBody" in operation or any(
                resolve(SOURCE, p)["required"] for p in operation.get("parameters", [])
            )
            if takes_input:
                assert any(
                    u.startswith(where + " ") and " 200 " not in u and " 201 " not in u
                    for u in uses
                ), where
            for status, raw in operation["responses"].items():
                if "application/json" in resolve(SOURCE, raw).get("content", {}) and (
                    not path.startswith(("/openapi", "/schemas"))
                ):
                    assert any(u.startswith(f"{where} {status} ") for u in uses), (where, status)


def test_the_vendor_examples_are_copied_exactly() -> None:
    """An example marked x-dqe-doc-example is the fixture's JSON (its repaired copy where the
    fixture index lists the docs' copy as defective)."""
    index = yaml.safe_load((DOC_EXAMPLES / "index.yaml").read_text("utf-8"))["examples"]
    repaired = {e["file"]: json.loads(e["repaired"]) for e in index if "repaired" in e}
    marked = {
        name: example
        for name, example in SOURCE["components"]["examples"].items()
        if "x-dqe-doc-example" in example
    }
    assert len(marked) >= 8
    for name, example in marked.items():
        file = example["x-dqe-doc-example"]
        expected = repaired.get(file) or json.loads((DOC_EXAMPLES / file).read_text("utf-8"))
        assert example["value"] == expected, name


@pytest.mark.parametrize(
    ("response", "targets"),
    [
        ("AccessTokenFromQuery", {"idmobileQuery", "idmobileForm"}),
        ("AccessTokenFromForm", {"idmobileQuery", "idmobileForm"}),
        ("IdmobileFromQuery", {"getQuery", "getForm", "adminSession", "adminSessionScenario"}),
        ("IdmobileFromForm", {"getQuery", "getForm", "adminSession", "adminSessionScenario"}),
    ],
)
def test_links_walk_token_then_idmobile_then_get(response: str, targets: set[str]) -> None:
    links = SOURCE["components"]["responses"][response]["links"]
    assert {link["operationId"] for link in links.values()} == targets
    by_id = {
        op["operationId"]: op
        for item in SOURCE["paths"].values()
        for m in METHODS
        if (op := item.get(m))
    }
    for link in links.values():
        target = by_id[link["operationId"]]
        names = {resolve(SOURCE, p)["name"] for p in target.get("parameters", [])}
        assert set(link.get("parameters", {})) <= names, link
        if "requestBody" in link:
            body_schema = resolve(SOURCE, target["requestBody"])["content"]
            schema = next(iter(body_schema.values()))["schema"]["$ref"].removeprefix("./")
            assert set(link["requestBody"]) <= set(contract().schemas[schema]["properties"])


# -- 200 bodies told apart by status ---------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "body", "pointers"),
    [
        # An error body with the wrong label: the error branch speaks, about error_type only.
        ("idmobile", {"status": "error", "error_type": "access denied", "error_id": "10"},
         ["/error_type"]),
        # A consent answer without its url: the consent branch speaks.
        ("idmobile", {"status": "success", "operator": "Orange"}, ["/url"]),
        # Scores without status: the matching_notp branch speaks (its required keys; the
        # violation names the first one missing).
        ("idmobile", {"family_name": 1.0}, ["/gender"]),
        ("get", {"status": "pending"}, ["/scope"]),
        ("get", {"status": "success", "scope": "numVerify"}, ["/numVerify"]),
        ("get", {"status": "error", "error_type": "access denied", "error_id": "99"},
         ["/error_type"]),
    ],
)  # fmt: skip
def test_a_validator_names_the_branch_the_status_claims(
    endpoint: str, body: dict[str, Any], pointers: list[str]
) -> None:
    found = sorted({v.pointer for v in contract().validate_response(endpoint, body)})
    assert found == pointers


async def test_an_unknown_schema_file_is_a_404_that_repeats_nothing() -> None:
    secret = "TKsecret-client_secret=demo-secret" + "x" * 5000
    async with (
        TestServer(create_app(Settings()), host="127.0.0.1") as server,
        ClientSession() as http,
        http.get(server.make_url(f"/schemas/{secret}")) as reply,
    ):
        status, text = reply.status, await reply.text()
    assert status == 404
    assert "TKsecret" not in text
    assert json.loads(text)["error"] == "not_found"

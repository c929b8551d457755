"""schemas/openapi.yaml is a valid OpenAPI 3.1 document that only references the JSON Schemas.

It documents the three DQE endpoints and the mock's /__admin/ control API (tag admin), whose
paths and methods must be exactly those of mockserver/http/routes.py.
"""

from __future__ import annotations

import copy
import inspect
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from mockserver.contract.schemas import REQUEST_SCHEMAS
from mockserver.http import admin
from mockserver.http.keys import NAMESPACE_HEADER
from mockserver.http.routes import ROUTES

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
OPENAPI = SCHEMAS / "openapi.yaml"
SPEC: dict[str, Any] = yaml.safe_load(OPENAPI.read_text("utf-8"))
PATHS = {"ACCESS_TOKEN": "/ACCESS_TOKEN/", "IDMOBILE": "/IDMOBILE/", "GET": "/GET/"}
DQE_PATHS = set(PATHS.values())
ADMIN_PREFIX = admin.PREFIX + "/"
ADMIN_SCHEMAS = SCHEMAS / "admin"
FORM = "application/x-www-form-urlencoded"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# An admin operation may be called without a token (an empty requirement), or with bearerAuth:
# the token is needed only when the server runs with --admin-token.
ADMIN_SECURITY: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]
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
    """Every operation of the document, DQE and admin."""
    for path, item in SPEC["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def dqe_operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    return ((p, m, o) for p, m, o in operations() if p in DQE_PATHS)


def admin_operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    return ((p, m, o) for p, m, o in operations() if p.startswith(ADMIN_PREFIX))


def admin_routes() -> dict[tuple[str, str], Any]:
    """(path, method) -> handler of every /__admin route the server registers."""
    return {
        (route.path, route.method.lower()): route.handler
        for route in ROUTES
        if route.path.startswith(ADMIN_PREFIX)
    }


def schema_refs(operation: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, schema) of every request and response body of an operation."""
    if "requestBody" in operation:
        for media, content in resolve_internal(operation["requestBody"])["content"].items():
            yield f"requestBody {media}", content["schema"]
    for status, response in operation["responses"].items():
        # A redirect (the dashboard's 303) has no body.
        for media, content in resolve_internal(response).get("content", {}).items():
            yield f"{status} {media}", content["schema"]


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
        ("components", "parameters", "AdminNamespace", "schema"),
        ("components", "responses", "AdminHealth", "content", "application/json", "schema"),
    ],
    ids=["parameter", "response", "admin-parameter", "admin-response"],
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


def test_each_dqe_endpoint_has_get_and_post_and_nothing_else() -> None:
    for path in DQE_PATHS:
        assert set(SPEC["paths"][path]) == {"get", "post"}, path


def route_template(path: str) -> str:
    """aiohttp's `{name:regex}` as OpenAPI writes it, `{name}`."""
    return re.sub(r"\{(\w+):[^}]*\}", r"{\1}", path)


def test_every_route_is_documented_and_nothing_more() -> None:
    """Besides the DQE endpoints (documented with their trailing slash only): the admin API,
    the consent page and the contract's own routes, exactly those of the route table."""
    routes = {
        (route_template(r.path), r.method.lower())
        for r in ROUTES
        if r.path.rstrip("/") not in {p.rstrip("/") for p in DQE_PATHS}
    }
    documented = {(p, m) for p, m, _ in operations() if p not in DQE_PATHS}
    assert routes == documented
    assert any(p.startswith(ADMIN_PREFIX) for p, _ in documented)


@pytest.mark.parametrize("endpoint", list(PATHS))
def test_post_body_is_the_request_schema(endpoint: str) -> None:
    operation = SPEC["paths"][PATHS[endpoint]]["post"]
    assert "parameters" not in operation
    body = resolve_internal(operation["requestBody"])
    assert body["required"] is True
    assert set(body["content"]) == {FORM}
    ref = external_ref(body["content"][FORM]["schema"])
    assert ref == f"./{REQUEST_SCHEMAS[endpoint]}"


# The spelling of the licence each endpoint's vendor page uses (docs/contract-notes.md).
LICENCE_SPELLING = {"ACCESS_TOKEN": "licence", "IDMOBILE": "licence", "GET": "Licence"}


@pytest.mark.parametrize("endpoint", list(PATHS))
def test_get_parameters_are_the_request_schema_properties(endpoint: str) -> None:
    """Every property is a query parameter, required exactly when the schema says so; of the
    two spellings of the licence (the schema's anyOf, which query parameters cannot say),
    the page's own is required."""
    operation = SPEC["paths"][PATHS[endpoint]]["get"]
    assert "requestBody" not in operation
    schema = json.loads((SCHEMAS / REQUEST_SCHEMAS[endpoint]).read_text("utf-8"))
    params = [resolve_internal(p) for p in operation["parameters"]]
    assert all(p["in"] == "query" for p in params)
    assert sorted(p["name"] for p in params) == sorted(schema["properties"])
    assert {"required": [LICENCE_SPELLING[endpoint]]} in schema["anyOf"]
    for param in params:
        required = (
            param["name"] in schema["required"] or param["name"] == (LICENCE_SPELLING[endpoint])
        )
        assert param["required"] is required, param["name"]
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


def test_every_dqe_response_schema_is_a_reference() -> None:
    expected = {
        "/ACCESS_TOKEN/": {
            "200": "./responses/access_token.schema.json",
            "400": "./responses/access_token_error.schema.json",
        },
        # Business errors are HTTP 200: the error body is one of these answers.
        "/IDMOBILE/": {"200": "./responses/idmobile.schema.json"},
        "/GET/": {"200": "./responses/get.schema.json"},
    }
    # A POST body may be too slow (408) or too large (413): mockserver/http/body.py.
    read_errors = {
        "408": "./responses/request_error.schema.json",
        "413": "./responses/request_error.schema.json",
    }
    for path, method, operation in dqe_operations():
        found = {}
        for status, response in operation["responses"].items():
            content = resolve_internal(response)["content"]
            assert set(content) == {"application/json"}, f"{method} {path} {status}"
            found[status] = external_ref(content["application/json"]["schema"])
        wanted = expected[path] | (read_errors if method == "post" else {})
        assert found == wanted, f"{method} {path}"


def test_business_errors_are_part_of_the_200_answers() -> None:
    """The union is an if/then on `status` "error", so that a validator names the branch."""
    for name in ("idmobile", "get"):
        union = json.loads((SCHEMAS / "responses" / f"{name}.schema.json").read_text("utf-8"))
        assert union["if"]["properties"]["status"] == {"const": "error"}, name
        assert union["then"] == {"$ref": "./error.schema.json"}, name


def test_no_schema_is_copied_into_the_document() -> None:
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            copied = SCHEMA_KEYWORDS & set(node)
            assert not copied, f"{where}: {sorted(copied)}"
            for key, value in node.items():
                if key != "example":  # an example is data, whatever its keys
                    walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(SPEC["paths"], "#/paths")
    for section, items in SPEC["components"].items():
        # A security scheme's `type` is not a schema keyword, and examples are data.
        if section not in ("securitySchemes", "examples"):
            walk(items, f"#/components/{section}")


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
        "scenario.schema.json",
    } <= referenced
    # Every admin schema file is used by the document: none is left undocumented.
    admin_files = {p.relative_to(SCHEMAS).as_posix() for p in ADMIN_SCHEMAS.glob("*.schema.json")}
    assert admin_files
    assert admin_files <= referenced, sorted(admin_files - referenced)


# --- the /__admin/ control API -------------------------------------------------------------

# What each admin operation answers: status -> schema file (under schemas/). A reload that
# fails answers 400 with its own body (ok false, errors), not the admin error body; a session
# exported as a scenario is a scenario file, in YAML (SCENARIO_DOWNLOADS).
ADMIN_ERROR = "./admin/admin_error.schema.json"
SCENARIO_DOWNLOADS = {("adminSessionScenario", "200 application/yaml")}
ADMIN_RESPONSES = {
    "adminHealth": {"200": "./admin/health.schema.json"},
    # The dashboard's 200 is an HTML page (text/html), its 303 has no body.
    "adminDashboard": {"200": "./admin/dashboard_page.schema.json", "400": ADMIN_ERROR},
    "adminListScenarios": {"200": "./admin/scenario_list.schema.json", "400": ADMIN_ERROR},
    "adminAddScenarios": {
        "201": "./admin/scenario_change.schema.json#/$defs/added",
        "400": ADMIN_ERROR,
        "408": ADMIN_ERROR,
        "413": ADMIN_ERROR,
    },
    "adminReplaceScenarios": {
        "200": "./admin/scenario_change.schema.json#/$defs/replaced",
        "400": ADMIN_ERROR,
        "408": ADMIN_ERROR,
        "413": ADMIN_ERROR,
    },
    "adminRemoveScenario": {
        "200": "./admin/scenario_change.schema.json#/$defs/removed",
        "400": ADMIN_ERROR,
        "404": ADMIN_ERROR,
    },
    "adminReset": {"200": "./admin/reset.schema.json", "400": ADMIN_ERROR},
    "adminReload": {"200": "./admin/reload.schema.json", "400": "./admin/reload.schema.json"},
    "adminReadJournal": {"200": "./admin/journal.schema.json", "400": ADMIN_ERROR},
    "adminClearJournal": {"200": "./admin/journal_clear.schema.json", "400": ADMIN_ERROR},
    "adminListSessions": {"200": "./admin/sessions.schema.json", "400": ADMIN_ERROR},
    "adminSession": {"200": "./admin/session.schema.json", "404": ADMIN_ERROR},
    "adminReport": {"200": "./admin/report.schema.json", "400": ADMIN_ERROR},
    "adminSessionScenario": {
        "200": "./scenario.schema.json",
        "400": ADMIN_ERROR,
        "404": ADMIN_ERROR,
    },
    "adminAdvanceClock": {
        "200": "./admin/clock_advance.schema.json",
        "400": ADMIN_ERROR,
        "404": ADMIN_ERROR,
        "408": ADMIN_ERROR,
        "413": ADMIN_ERROR,
    },
}


def test_every_admin_route_is_documented_and_nothing_more() -> None:
    routes = set(admin_routes())
    documented = {(path, method) for path, method, _ in admin_operations()}
    assert len(routes) >= 12
    assert routes - documented == set(), "admin routes missing from openapi.yaml"
    assert documented - routes == set(), "openapi.yaml documents admin routes the server lacks"


def test_admin_operations_are_tagged_admin_and_only_they_are() -> None:
    declared = {t["name"]: t for t in SPEC["tags"]}
    assert "admin" in declared
    assert "--admin-token" in declared["admin"]["description"]
    for path, method, operation in admin_operations():
        assert operation["tags"] == ["admin"], f"{method} {path}"
        assert operation["operationId"].startswith("admin"), f"{method} {path}"
        assert operation["summary"], f"{method} {path}"
    for path, method, operation in dqe_operations():
        assert "admin" not in operation["tags"], f"{method} {path}"


def test_admin_operation_ids_are_unique_and_all_expected() -> None:
    ids = [operation["operationId"] for _, _, operation in operations()]
    assert len(ids) == len(set(ids))
    assert {operation["operationId"] for _, _, operation in admin_operations()} == set(
        ADMIN_RESPONSES
    )


def test_bearer_auth_is_optional_and_only_on_admin_operations() -> None:
    scheme = SPEC["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http"
    assert scheme["scheme"] == "bearer"
    assert "--admin-token" in scheme["description"]
    assert "security" not in SPEC, "a global requirement would cover the DQE endpoints too"
    for path, method, operation in admin_operations():
        assert operation["security"] == ADMIN_SECURITY, f"{method} {path}"
        unauthorized = resolve_internal(operation["responses"]["401"])
        assert "--admin-token" in unauthorized["description"], f"{method} {path}"
    for path, method, operation in dqe_operations():
        assert "security" not in operation, f"{method} {path}"


def test_every_admin_schema_is_a_reference_to_an_admin_file() -> None:
    for path, method, operation in admin_operations():
        found = {}
        for where, schema in schema_refs(operation):
            ref = external_ref(schema)
            target = SCHEMAS / ref.partition("#")[0]
            assert target.is_file(), f"{method} {path} {where}: {ref}"
            if where.startswith("requestBody"):
                continue
            found[where.split()[0]] = ref
            if (operation["operationId"], where) in SCENARIO_DOWNLOADS:
                assert ref == "./scenario.schema.json", f"{method} {path} {where}"
                continue
            # The dashboard's page is the one admin answer in HTML.
            html = where == "200 text/html" and operation["operationId"] == "adminDashboard"
            assert html or where.endswith(" application/json"), f"{method} {path} {where}"
            assert ref.startswith("./admin/"), f"{method} {path} {where}"
        assert found == ADMIN_RESPONSES[operation["operationId"]] | {"401": ADMIN_ERROR}, (
            f"{method} {path}"
        )


def test_admin_schema_files_are_draft_2020_12_with_a_title() -> None:
    files = sorted(ADMIN_SCHEMAS.glob("*.schema.json"))
    assert len(files) >= 11
    for file in files:
        schema = json.loads(file.read_text("utf-8"))
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema", file.name
        assert schema.get("title"), file.name


@pytest.mark.parametrize("method", ["post", "put"])
def test_scenario_documents_are_the_scenario_schema_in_json_or_yaml(method: str) -> None:
    operation = SPEC["paths"][f"{admin.PREFIX}/scenarios"][method]
    body = resolve_internal(operation["requestBody"])
    assert body["required"] is True
    assert set(body["content"]) == {"application/json", "application/yaml"}
    for media in body["content"].values():
        assert external_ref(media["schema"]) == "./scenario.schema.json"


def test_clock_advance_body_is_its_request_schema() -> None:
    operation = SPEC["paths"][f"{admin.PREFIX}/clock/advance"]["post"]
    body = resolve_internal(operation["requestBody"])
    assert body["required"] is True
    assert set(body["content"]) == {"application/json"}
    schema = external_ref(body["content"]["application/json"]["schema"])
    assert schema == "./admin/clock_advance_request.schema.json"


def test_only_bodies_the_handlers_read_are_documented() -> None:
    with_body = {(p, m) for p, m, o in admin_operations() if "requestBody" in o}
    assert with_body == {
        (f"{admin.PREFIX}/scenarios", "post"),
        (f"{admin.PREFIX}/scenarios", "put"),
        (f"{admin.PREFIX}/clock/advance", "post"),
    }


def test_namespace_parameters_are_reusable_components() -> None:
    params = SPEC["components"]["parameters"]
    query, header = params["AdminNamespace"], params["AdminNamespaceHeader"]
    assert (query["name"], query["in"], query["required"]) == ("namespace", "query", False)
    assert (header["name"], header["in"], header["required"]) == (NAMESPACE_HEADER, "header", False)
    assert external_ref(query["schema"]) == external_ref(header["schema"])


def test_namespace_is_documented_exactly_where_the_handler_reads_it() -> None:
    """Both spellings (query and header), by reference, on every operation whose handler
    calls admin._namespace, and on no other."""
    namespace_refs = [
        {"$ref": "#/components/parameters/AdminNamespace"},
        {"$ref": "#/components/parameters/AdminNamespaceHeader"},
    ]
    for (path, method), handler in admin_routes().items():
        operation = SPEC["paths"][path][method]
        params = operation.get("parameters", [])
        reads_namespace = "_namespace(request)" in inspect.getsource(handler)
        if reads_namespace:
            assert all(p in params for p in namespace_refs), f"{method} {path}"
        else:
            assert not any(p in params for p in namespace_refs), f"{method} {path}"


def test_admin_path_parameters_match_the_route_templates() -> None:
    for path, method, operation in admin_operations():
        params = [resolve_internal(p) for p in operation.get("parameters", [])]
        in_path = {p["name"] for p in params if p["in"] == "path"}
        assert in_path == set(re.findall(r"{(\w+)}", path)), f"{method} {path}"
        assert all(p["required"] for p in params if p["in"] == "path"), f"{method} {path}"

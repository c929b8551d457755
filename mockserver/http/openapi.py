"""The contract, served: /openapi.json, /openapi.yaml, /docs and the schema files under /schemas/.

/openapi.json and /openapi.yaml are one bundled document (mockserver.contract.openapi: every
`$ref` internal) whose `servers` is this mock's public base URL (--public-url, else the
request's validated Host), so a tool pointed at the URL tests the very server that answered.
/schemas/<path> serves schemas/ as it is, the source openapi.yaml included: relative `$ref`s
resolve there exactly as they do on disk.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.abc import Traversable

import yaml
from aiohttp import web

from mockserver.contract.openapi import with_server
from mockserver.http.apidocs import render
from mockserver.http.operator import PAGE_HEADERS, public_base
from mockserver.resources import schemas_dir

SCHEMAS_PREFIX = "/schemas"
JSON_TYPE = "application/json"
YAML_TYPE = "application/yaml"  # RFC 9512
TYPES = {".json": JSON_TYPE, ".yaml": YAML_TYPE}
# Browser tools (an online editor, a docs viewer on another port) may fetch the contract.
SHARED = {"Access-Control-Allow-Origin": "*"}


def _document(request: web.Request) -> dict[str, object]:
    return with_server(public_base(request))


async def openapi_json(request: web.Request) -> web.Response:
    """GET /openapi.json: the bundled document, its server this mock."""
    text = json.dumps(_document(request), ensure_ascii=False, indent=2)
    return web.Response(text=text, content_type=JSON_TYPE, headers=SHARED)


async def openapi_yaml(request: web.Request) -> web.Response:
    """GET /openapi.yaml: the same document as YAML."""
    text = yaml.safe_dump(_document(request), sort_keys=False, allow_unicode=True, width=100)
    return web.Response(text=text, content_type=YAML_TYPE, headers=SHARED)


async def docs(request: web.Request) -> web.Response:
    """GET /docs: the document rendered as one HTML page (no script, nothing fetched)."""
    return web.Response(
        text=render(_document(request)), content_type="text/html", headers=PAGE_HEADERS
    )


@cache
def schema_files() -> dict[str, Traversable]:
    """Path under schemas/ -> file, for every .json and .yaml file shipped (the only paths
    /schemas/ serves: a request names one of these, or gets 404)."""
    found: dict[str, Traversable] = {}

    def walk(node: Traversable, prefix: str) -> None:
        for child in node.iterdir():
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif any(child.name.endswith(suffix) for suffix in TYPES):
                found[prefix + child.name] = child

    walk(schemas_dir(), "")
    return found


async def schema_file(request: web.Request) -> web.Response:
    """GET /schemas/{path}: one file of schemas/, byte for byte; 404 (JSON) for any other."""
    path = request.match_info["path"]
    file = schema_files().get(path)
    if file is None:
        # The path is not repeated (a token may be pasted there): docs/limits.md.
        body = json.dumps(
            {
                "error": "not_found",
                "error_description": "no such schema file; /openapi.json lists them",
            }
        )
        raise web.HTTPNotFound(text=body, content_type=JSON_TYPE)
    media = TYPES[path[path.rindex(".") :]]
    return web.Response(body=file.read_bytes(), content_type=media, headers=SHARED)

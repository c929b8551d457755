"""/docs: the OpenAPI document rendered for people, on the server, as one static HTML page.

Why not Swagger UI or Redoc: both are JavaScript applications of several megabytes. Shipping
them means vendoring a copy (or depending on a PyPI repackaging that lags upstream), a CSP
that lets scripts run, and a page that is blank without JavaScript. What people need here is
to read the contract: every operation, its parameters, bodies, answers and the examples. So
this page is built from the bundled document by plain string formatting, every value passes
through html.escape(), and it is served with the consent page's headers (no script, nothing
loaded from anywhere, not frameable). Tools read /openapi.json; "try it out" is curl.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from html import escape
from typing import Any

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
CSS = """
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1d1f}
header{background:#1d3557;color:#fff;padding:16px 28px}
header h1{margin:0;font-size:22px}
main{max-width:1100px;margin:0 auto;padding:8px 28px 40px}
nav a{margin-right:14px}
h2{border-bottom:2px solid #ddd;padding-bottom:4px;margin-top:36px}
section.op{border:1px solid #ddd;border-radius:8px;margin:14px 0;padding:10px 16px}
.method{display:inline-block;min-width:64px;font-weight:700;text-transform:uppercase}
.get{color:#1a7f37}.post{color:#0550ae}.put{color:#9a6700}.delete{color:#cf222e}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:13px}
pre{background:#f6f8fa;padding:10px;border-radius:6px;overflow:auto;max-height:420px}
table{border-collapse:collapse;margin:6px 0}
td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
.muted{color:#666}
"""


def render(document: dict[str, Any]) -> str:
    """The whole page for `document` (a bundled OpenAPI 3.1 document: internal $refs only)."""
    info = document.get("info", {})
    servers = "".join(
        f"<li><code>{escape(str(s.get('url', '')))}</code></li>"
        for s in document.get("servers", [])
    )
    tags = [t.get("name", "") for t in document.get("tags", [])]
    nav = "".join(f"<a href='#tag-{escape(t)}'>{escape(t)}</a>" for t in tags)
    sections = "".join(_tag_section(document, tag) for tag in tags)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>{escape(str(info.get('title', 'API')))}</title><style>{CSS}</style></head>"
        f"<body><header><h1>{escape(str(info.get('title', '')))}</h1>"
        f"<span>version {escape(str(info.get('version', '')))}</span></header><main>"
        f"<p>{_text(info.get('description', ''))}</p>"
        f"<p>Servers:</p><ul>{servers}</ul>"
        "<p>The document itself: <a href='openapi.json'>openapi.json</a>, "
        "<a href='openapi.yaml'>openapi.yaml</a>.</p>"
        f"<nav>{nav}<a href='#schemas'>schemas</a></nav>{sections}"
        f"{_schemas(document)}</main></body></html>"
    )


def _text(value: Any) -> str:
    """Free text of the document, escaped, its blank lines as paragraph breaks."""
    return "</p><p>".join(escape(part) for part in str(value).split("\n\n"))


def _operations(document: dict[str, Any], tag: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if isinstance(operation, dict) and tag in operation.get("tags", []):
                yield path, method, operation


def _tag_section(document: dict[str, Any], tag: str) -> str:
    description = next(
        (t.get("description", "") for t in document.get("tags", []) if t.get("name") == tag), ""
    )
    operations = "".join(
        _operation(document, path, method, op) for path, method, op in _operations(document, tag)
    )
    return f"<h2 id='tag-{escape(tag)}'>{escape(tag)}</h2><p>{_text(description)}</p>{operations}"


def _operation(document: dict[str, Any], path: str, method: str, op: dict[str, Any]) -> str:
    anchor = escape(str(op.get("operationId", f"{method}-{path}")))
    return (
        f"<section class='op' id='{anchor}'><p><span class='method {method}'>{method}</span>"
        f"<code>{escape(path)}</code> <span class='muted'>{anchor}</span></p>"
        f"<p><strong>{escape(str(op.get('summary', '')))}</strong></p>"
        f"<p>{_text(op.get('description', ''))}</p>"
        f"{_parameters(document, op)}{_request_body(document, op)}{_responses(document, op)}"
        "</section>"
    )


def _resolve(document: dict[str, Any], node: Any) -> Any:
    """Follow internal references (`#/...`) until a node that is not one."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and seen < 20:
        target: Any = document
        for part in node["$ref"].lstrip("#").split("/")[1:]:
            target = target.get(part.replace("~1", "/").replace("~0", "~"), {})
        node, seen = target, seen + 1
    return node


def _parameters(document: dict[str, Any], op: dict[str, Any]) -> str:
    rows = []
    for raw in op.get("parameters", []):
        p = _resolve(document, raw)
        example = p.get("example", "")
        rows.append(
            f"<tr><td><code>{escape(str(p.get('name', '')))}</code></td>"
            f"<td>{escape(str(p.get('in', '')))}</td>"
            f"<td>{'yes' if p.get('required') else 'no'}</td>"
            f"<td>{escape(str(p.get('description', '')))}</td>"
            f"<td><code>{escape(str(example))}</code></td></tr>"
        )
    if not rows:
        return ""
    head = "<tr><th>name</th><th>in</th><th>required</th><th>description</th><th>example</th></tr>"
    return f"<p>Parameters</p><table>{head}{''.join(rows)}</table>"


def _request_body(document: dict[str, Any], op: dict[str, Any]) -> str:
    if "requestBody" not in op:
        return ""
    body = _resolve(document, op["requestBody"])
    required = "required" if body.get("required") else "optional"
    return f"<p>Request body ({required})</p>{_content(document, body)}"


def _responses(document: dict[str, Any], op: dict[str, Any]) -> str:
    rows = []
    for status, raw in op.get("responses", {}).items():
        response = _resolve(document, raw)
        rows.append(
            f"<tr><td><strong>{escape(str(status))}</strong></td>"
            f"<td>{escape(str(response.get('description', '')))}"
            f"{_content(document, response)}</td></tr>"
        )
    return f"<p>Responses</p><table>{''.join(rows)}</table>"


def _content(document: dict[str, Any], holder: dict[str, Any]) -> str:
    """Each media type with its schema's name and its examples, pretty-printed."""
    parts = []
    for media, content in holder.get("content", {}).items():
        ref = content.get("schema", {}).get("$ref", "")
        schema = f" <a href='#{escape(ref.rsplit('/', 1)[-1])}'>{escape(ref)}</a>" if ref else ""
        examples = "".join(
            f"<details><summary>example {escape(str(name))}: "
            f"{escape(str(_resolve(document, ex).get('summary', '')))}</summary>"
            f"<pre>{escape(_pretty(_resolve(document, ex).get('value')))}</pre></details>"
            for name, ex in content.get("examples", {}).items()
        )
        parts.append(f"<div><code>{escape(media)}</code>{schema}{examples}</div>")
    return "".join(parts)


def _schemas(document: dict[str, Any]) -> str:
    schemas = document.get("components", {}).get("schemas", {})
    items = "".join(
        f"<details id='{escape(name)}'><summary><code>{escape(name)}</code> "
        f"{escape(str(schema.get('title', '')))}</summary><pre>{escape(_pretty(schema))}</pre>"
        "</details>"
        for name, schema in schemas.items()
        if isinstance(schema, dict)
    )
    return f"<h2 id='schemas'>schemas</h2>{items}"


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False)

"""The OpenAPI document as tools read it: schemas/openapi.yaml with every schema file bundled in.

schemas/openapi.yaml is the source (written by people; it only arranges the contract) and
refers to the JSON Schema files next to it with relative `$ref`s. Tools that fetch one URL
(Schemathesis, Prism, code generators, Redoc) want one document whose references are all
internal, so `bundled()` builds it: each schema file the document uses, directly or through
other files, becomes `#/components/schemas/<name>`, and each of its `$defs` a component of
its own, `<name>.<def>`; every `$ref` is rewritten to point there. Nothing is copied by hand,
and the served document is generated from the files on every start, so it cannot drift.

Names: `requests/idmobile.schema.json` is `requests.idmobile`, its `$defs/x` is
`requests.idmobile.x`; `common.schema.json#/$defs/licence` is `common.licence`.
"""

from __future__ import annotations

import json
import posixpath
from functools import cache
from typing import Any

import yaml

from mockserver.resources import schemas_dir

SOURCE = "openapi.yaml"
SUFFIX = ".schema.json"
COMPONENTS = "#/components/schemas/"
# Keywords of a schema file that mean nothing once it is a component of the document: the
# dialect is the document's (OpenAPI 3.1: JSON Schema 2020-12), and the base URI is the
# document's own.
_FILE_ONLY = ("$schema", "$id")


class BundleError(ValueError):
    """A reference that points at no file, or two components that would share a name."""


def source_document() -> dict[str, Any]:
    """schemas/openapi.yaml as written, its references still relative."""
    document: dict[str, Any] = yaml.safe_load((schemas_dir() / SOURCE).read_text("utf-8"))
    return document


def component_name(path: str) -> str:
    """`requests/idmobile.schema.json` -> `requests.idmobile` (a valid component name)."""
    if not path.endswith(SUFFIX):
        raise BundleError(f"{path}: only *{SUFFIX} files can be bundled")
    return path[: -len(SUFFIX)].replace("/", ".")


@cache
def bundled() -> dict[str, Any]:
    """The whole document, every `$ref` internal (computed once; callers copy before changing).

    Raises BundleError when a reference points at no schema file or a name is taken twice.
    """
    bundle = _Bundle()
    document: dict[str, Any] = bundle.rewrite(source_document(), "")
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in bundle.components.items():
        if name in schemas:
            raise BundleError(f"component {name!r} is defined twice")
        schemas[name] = schema
    return document


def with_server(url: str, description: str = "This dqe-mock") -> dict[str, Any]:
    """The bundled document whose `servers` is the one base URL given (a shallow copy)."""
    document = dict(bundled())
    document["servers"] = [{"url": url, "description": description}]
    return document


def _read_file(path: str) -> Any:
    try:
        return json.loads((schemas_dir() / path).read_text("utf-8"))
    except FileNotFoundError as exc:
        raise BundleError(f"$ref to {path}, which is not a file under schemas/") from exc


class _Bundle:
    """The schema files met so far, as components, with their references rewritten."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}
        self._done: set[str] = set()

    def rewrite(self, node: Any, base: str) -> Any:
        """`node` with each `$ref` made internal; `base` is the file it sits in ("" for the
        document itself, whose own `#/...` references stay as they are)."""
        if isinstance(node, list):
            return [self.rewrite(item, base) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: self.rewrite(value, base) for key, value in node.items()}
        ref = node.get("$ref")
        if isinstance(ref, str):
            out["$ref"] = self._target(ref, base)
        return out

    def _target(self, ref: str, base: str) -> str:
        file, _, fragment = ref.partition("#")
        if not file and not base:
            return ref  # the document's own reference
        path = posixpath.normpath(posixpath.join(posixpath.dirname(base), file)) if file else base
        self._add(path)
        return _pointer(component_name(path), fragment)

    def _add(self, path: str) -> None:
        if path in self._done:
            return
        self._done.add(path)
        schema = _read_file(path)
        for key in _FILE_ONLY:
            schema.pop(key, None)
        definitions = schema.pop("$defs", {})
        name = component_name(path)
        self._put(name, self.rewrite(schema, path))
        for key, value in definitions.items():
            self._put(f"{name}.{key}", self.rewrite(value, path))

    def _put(self, name: str, schema: Any) -> None:
        if name in self.components:
            raise BundleError(f"two schemas would both be the component {name!r}")
        self.components[name] = schema


def _pointer(name: str, fragment: str) -> str:
    """The internal reference of `fragment` (a JSON pointer) in the component `name`."""
    parts = fragment.split("/")[1:] if fragment else []
    if len(parts) >= 2 and parts[0] == "$defs":
        name, parts = f"{name}.{parts[1]}", parts[2:]
    return COMPONENTS + name + "".join("/" + part for part in parts)

"""One YAML document read safely: bounded size, nesting and alias expansion, lines of each part.

Whatever the text, `parse_document` answers the data or raises ScenarioFileError with
`file:line: what is wrong` lines; it never raises anything else for bad input, and its time
and memory are bounded by the size cap.

Aliases are allowed, their expansion bounded. Anchors and merge keys (`subscriber: *orange`,
`<<: *base`) are how YAML files share a record, and the built-in pack uses them; the danger
is only the size of the document once every alias is written out (a "billion laughs" bomb of
391 bytes expands to gigabytes). That size is computed exactly on the node graph, each node
once, before anything walks the data, and it must fit the same cap as the text itself.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError, SafeConstructor

from mockserver.contract.yamltext import pointer_part

# The largest scenario document, in bytes (UTF-8), and the largest it may become with its
# aliases written out. About 1,000 scenarios; loading it takes about a second.
MAX_DOCUMENT_BYTES = 256 * 1024
# Nesting levels of mappings and lists, aliases expanded (a real scenario file uses 7).
MAX_DEPTH = 32
# Characters of one number: more is a typo or an attack (Python refuses to print an int of
# over 4,300 digits, and YAML's 0b... integers have no such limit).
MAX_NUMBER_CHARS = 32
# Problems listed in one error, and characters of each: a broken document of 256 KiB could
# otherwise produce megabytes of messages.
MAX_PROBLEMS = 100
MAX_MESSAGE_CHARS = 300

_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_NUMBERS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
# UTF-16 surrogates: YAML's "\ud800" escape makes one, and no UTF-8 text can hold it.
_SURROGATE = re.compile("[\ud800-\udfff]")


class ScenarioFileError(ValueError):
    """A scenario document that cannot be loaded; str() is `file:line: reason` lines.

    `problems` is a sorted list of (line, message): line 1 is the first line, 0 when no
    line applies. At most MAX_PROBLEMS are kept, each at most MAX_MESSAGE_CHARS long.
    """

    def __init__(self, source: str, problems: list[tuple[int, str]]) -> None:
        self.source = source
        ordered = sorted(problems)
        kept = [(line, _shorten(msg)) for line, msg in ordered[:MAX_PROBLEMS]]
        if len(ordered) > MAX_PROBLEMS:
            kept.append((kept[-1][0], f"... and {len(ordered) - MAX_PROBLEMS} more problems"))
        self.problems = kept
        super().__init__("\n".join(f"{source}:{line}: {msg}" for line, msg in self.problems))


def _shorten(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    return message[: MAX_MESSAGE_CHARS - 1] + "…"


def too_large(source: str, size: int, limit: int) -> ScenarioFileError:
    """The error for a document of `size` bytes over `limit`."""
    return ScenarioFileError(
        source,
        [(1, f"the document is {size} bytes, over the limit of {limit} (--max-scenario-bytes)")],
    )


def parse_document(
    text: str, source: str, max_bytes: int = MAX_DOCUMENT_BYTES
) -> tuple[Any, dict[str, int]]:
    """The data of one YAML document and the line of each JSON pointer in it.

    Raises ScenarioFileError for: a text over `max_bytes` (UTF-8), a character YAML forbids
    (control characters), a syntax error, an empty document, nesting deeper than MAX_DEPTH,
    an alias that contains itself or whose expansion passes `max_bytes`, a number too long
    or not finite, a key written twice in one mapping, a string (key or value) holding a
    UTF-16 surrogate (`"\\ud800"`: not Unicode text), or a value YAML cannot build (a date
    such as 2024-13-45).
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise too_large(source, size, max_bytes)
    node = _compose(text, source)
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL):
        raise ScenarioFileError(source, [(1, "the document is empty")])
    _Measure(source, max_bytes).walk(node)
    data = _construct(node, source)
    lines = _index_lines(node)
    bad = [(p, v) for p, v in _floats(data) if not math.isfinite(v)]
    if bad:
        raise ScenarioFileError(
            source, [(line_for(lines, p), f"{p}: {v} is not a finite number") for p, v in bad]
        )
    return data, lines


class _TooDeep(ComposerError):
    """Nesting past MAX_DEPTH, found while composing."""


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, with nesting bounded while composing (its composer recurses)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise _TooDeep(None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            # A timestamp that does not exist (2024-13-45), say: PyYAML lets it escape.
            raise ConstructorError(
                None, None, f"cannot read this value: {exc}", node.start_mark
            ) from exc


def _compose(text: str, source: str) -> yaml.Node | None:
    loader: _Loader | None = None
    try:
        loader = _Loader(text)  # the reader refuses forbidden characters right away
        return loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        raise ScenarioFileError(source, [_reader_problem(text, exc)]) from exc
    except yaml.MarkedYAMLError as exc:  # PyYAML's scanner, parser and composer raise no other
        raise ScenarioFileError(source, [_marked_problem(exc)]) from exc
    finally:
        if loader is not None:
            loader.dispose()


def _construct(node: yaml.Node, source: str) -> Any:
    loader = _Loader("")
    try:
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        raise ScenarioFileError(source, [_marked_problem(exc)]) from exc
    finally:
        loader.dispose()


def _reader_problem(text: str, exc: yaml.reader.ReaderError) -> tuple[int, str]:
    line = text.count("\n", 0, max(exc.position, 0)) + 1
    code = int(exc.character)  # PyYAML's reader gives the code point of a str's character
    escape = f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return (
        line,
        f"YAML does not allow the character U+{code:04X} (control characters and a few "
        f'others) in a document; write it as an escape inside double quotes: "{escape}"',
    )


def _marked_problem(exc: yaml.MarkedYAMLError) -> tuple[int, str]:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    if isinstance(exc, _TooDeep):
        return line, str(exc.problem)
    if isinstance(exc, ConstructorError):
        return line, f"YAML value: {exc.problem or exc}"
    return line, f"YAML syntax: {exc.problem or exc}"


class _Measure:
    """Expanded size and depth of each node, each node measured once (aliases share nodes)."""

    def __init__(self, source: str, max_bytes: int) -> None:
        self.source = source
        self.max_bytes = max_bytes
        self.done: dict[int, tuple[int, int]] = {}
        self.open: set[int] = set()
        self.keys = SafeConstructor()

    def walk(self, node: yaml.Node) -> tuple[int, int]:
        """(size in characters with every alias written out, nesting depth) of `node`."""
        key = id(node)
        if key in self.done:
            return self.done[key]
        if key in self.open:
            self._fail(node, "a YAML alias refers to the node that contains it")
        if isinstance(node, yaml.ScalarNode):
            self._check_scalar(node)
            result = (len(node.value) + 1, 0)
        else:
            if isinstance(node, yaml.MappingNode):
                self._check_keys(node)
            self.open.add(key)
            size, depth = 1, 0
            for child in _children(node):
                child_size, child_depth = self.walk(child)
                size, depth = size + child_size, max(depth, child_depth)
            self.open.discard(key)
            result = (size, depth + 1)
        if result[0] > self.max_bytes:
            self._fail(
                node,
                f"with its aliases written out, this part of the document is over the limit of "
                f"{self.max_bytes} bytes (--max-scenario-bytes)",
            )
        if result[1] > MAX_DEPTH:
            self._fail(node, f"with its aliases written out, nested more than {MAX_DEPTH} levels")
        self.done[key] = result
        return result

    def _check_scalar(self, node: yaml.ScalarNode) -> None:
        if node.tag in _NUMBERS and len(node.value) > MAX_NUMBER_CHARS:
            self._fail(node, f"a number of more than {MAX_NUMBER_CHARS} characters")
        found = _SURROGATE.search(node.value)
        if found:
            self._fail(
                node,
                f"U+{ord(found.group()):04X} is a lone UTF-16 surrogate (an escape such as "
                '"\\ud800"), not Unicode text; write the character itself or its "\\U0001F600" '
                "escape",
            )

    def _check_keys(self, node: yaml.MappingNode) -> None:
        """A key written twice is refused, at its second line; `<<` merges may be overridden."""
        seen: set[tuple[str, Any]] = set()
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue  # a list or mapping as a key: the schema refuses it
            identity = (key.tag, self._key_value(key))
            if identity in seen:
                self._fail(key, f"duplicate key {key.value!r}")
            seen.add(identity)

    def _key_value(self, key: yaml.ScalarNode) -> Any:
        """What the key means: `1` and `0x1` are one key, `1` and `"1"` two."""
        return _key_value(self.keys, key)

    def _fail(self, node: yaml.Node, message: str) -> None:
        raise ScenarioFileError(self.source, [(node.start_mark.line + 1, message)])


def _key_value(constructor: SafeConstructor, key: yaml.ScalarNode) -> Any:
    """The key as the data holds it (None for `null:` and `~:`, True for `yes:`, 1 for `0x1:`);
    its text when it is a string, a `<<` merge, or cannot be built."""
    if key.tag in (_STR, _MERGE):
        return key.value
    try:
        value = constructor.construct_object(key)  # a scalar: hashable
    except (yaml.YAMLError, ValueError, TypeError, OverflowError):
        return key.value
    return value


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, yaml.SequenceNode):
        yield from node.value


def _index_lines(root: yaml.Node) -> dict[str, int]:
    """The line of each JSON pointer, in document order; a node reached again through an
    alias is not re-entered (its parts keep the lines of the anchor)."""
    lines: dict[str, int] = {}
    seen: set[int] = set()
    keys = SafeConstructor()
    stack: list[tuple[yaml.Node, str]] = [(root, "")]
    while stack:
        node, pointer = stack.pop()
        lines.setdefault(pointer, node.start_mark.line + 1)
        if id(node) in seen:
            continue
        seen.add(id(node))
        children: list[tuple[yaml.Node, str]] = []
        if isinstance(node, yaml.MappingNode):
            # Keys are scalars: construction, which comes first, refuses any other. A key is
            # named as the schema's pointers name it (`null:` and `~:` are /null, `a/b:` /a~1b).
            for key, value in node.value:
                part = pointer_part(_key_value(keys, key))
                lines.setdefault(f"{pointer}/{part}", key.start_mark.line + 1)
                children.append((value, f"{pointer}/{part}"))
        elif isinstance(node, yaml.SequenceNode):
            children = [(item, f"{pointer}/{i}") for i, item in enumerate(node.value)]
        stack.extend(reversed(children))  # the first child is taken first
    return lines


def line_for(lines: Mapping[str, int], pointer: str) -> int:
    """The line of `pointer`, or of its nearest ancestor that has one (1 at worst)."""
    while pointer and pointer not in lines:
        pointer = pointer.rsplit("/", 1)[0]
    return lines.get(pointer, 1)


def _floats(data: Any) -> Iterator[tuple[str, float]]:
    """Every float in `data` with its JSON pointer (the size cap bounds the walk)."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, pointer = stack.pop()
        if isinstance(value, float):
            yield pointer, value
        elif isinstance(value, dict):
            stack.extend((v, f"{pointer}/{k}") for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, f"{pointer}/{i}") for i, v in enumerate(value))

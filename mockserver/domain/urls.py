"""The URLs the mock accepts and builds, checked against RFC 3986 before any is emitted.

A redirect_uri is checked when /IDMOBILE/ receives it, so that the consent step can always
redirect; the redirect keeps the partner's URL byte for byte and only appends token and status.
"""

from __future__ import annotations

from urllib.parse import unquote_plus, urlencode, urlsplit

from rfc3986_validator import validate_rfc3986

SCHEMES = ("http", "https")


class UrlError(ValueError):
    """A URL the mock cannot use; the message says why, without the URL."""


def _is_uri(text: str) -> bool:
    return bool(validate_rfc3986(text, rule="URI"))


def redact_userinfo(url: str) -> str:
    """`url` with any user information (`user:password@`) replaced by `***@`, so that a
    message never shows a password; works on text that is not a valid URL too."""
    scheme, sep, rest = url.partition("://")
    head = scheme + sep if sep else ""
    if not sep:
        rest = url
    end = min([i for i in (rest.find(c) for c in "/?#") if i >= 0], default=len(rest))
    at = rest.rfind("@", 0, end)
    return url if at < 0 else f"{head}***{rest[at:]}"


def _check_authority(uri: str) -> None:
    """Scheme http(s), a host, no user info, a port in 1..65535 when given."""
    try:
        parts = urlsplit(uri)
    except ValueError as exc:  # "Invalid IPv6 URL": an unclosed [
        raise UrlError("is not a URL (RFC 3986)") from exc
    if parts.scheme.lower() not in SCHEMES:
        raise UrlError("must be an http or https URL")
    if "@" in parts.netloc:
        raise UrlError("must not carry user information (user@host)")
    try:
        port = parts.port
    except ValueError as exc:
        digits = parts.netloc.rpartition(":")[2].isdigit()
        raise UrlError(
            "has a port outside 1..65535" if digits else "has a port that is not a number"
        ) from exc
    if not parts.hostname:
        raise UrlError("has no host")
    if port == 0:
        raise UrlError("has a port outside 1..65535")


def check_redirect_uri(uri: str) -> None:
    """Raise UrlError unless uri is an absolute http(s) URI (RFC 3986) with a usable host.

    Spaces, non-ASCII characters, lone `%` and other characters outside the grammar must be
    percent-encoded by the client; a fragment is allowed and kept.
    """
    if not _is_uri(uri):
        raise UrlError(
            "is not a URI (RFC 3986): percent-encode spaces, non-ASCII characters and `%`"
        )
    _check_authority(uri)


def check_base_url(url: str, option: str = "--public-url") -> str:
    """A base URL given as `option` (--public-url of serve, --url of report and
    export-session): an http(s) URI with a host, no user information, a port in 1..65535
    when given, no query or fragment; returned without its trailing slash. Raises UrlError,
    whose message names the option and the URL with its user information redacted."""
    shown = redact_userinfo(url)
    try:
        _check_authority(url)
    except UrlError as exc:
        raise UrlError(f"{option} {shown!r} {exc}") from exc
    if not _is_uri(url):
        raise UrlError(f"{option} {shown!r} is not a URL (RFC 3986)")
    if "?" in url or "#" in url:  # an empty query or fragment too
        raise UrlError(f"{option} {shown!r} must not have a query or a fragment")
    return url.rstrip("/")


def origin_of_host(scheme: str, host: str) -> str | None:
    """`scheme://host` when host is a valid RFC 3986 `host[:port]` (no user info), else None."""
    candidate = f"{scheme}://{host}"
    if not host or any(c in host for c in "/?#@") or not _is_uri(candidate):
        return None
    try:
        _check_authority(candidate)
    except UrlError:
        return None
    return candidate


def with_params(uri: str, params: list[tuple[str, str]]) -> str:
    """uri with params appended to its query; everything else byte for byte.

    The partner's own query segments are kept as sent (their encoding, order, blank values),
    except those named like one of params, which are replaced. A fragment stays last.
    """
    base, hash_mark, fragment = uri.partition("#")
    path, _, query = base.partition("?")
    names = {name for name, _ in params}
    kept = [
        segment
        for segment in (query.split("&") if query else [])
        if unquote_plus(segment.partition("=")[0], errors="replace") not in names
    ]
    own = "&".join(kept)
    separator = "&" if own and not own.endswith("&") else ""
    return f"{path}?{own}{separator}{urlencode(params)}{hash_mark}{fragment}"

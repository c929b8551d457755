"""URLs the mock accepts and builds (domain/urls.py).

Oracles: docs/limits.md "URLs the mock builds" (an absolute http(s) URI as RFC 3986
writes it, a host, a port in 1..65535 when given, no user information; the redirect gives the
URL back byte for byte and appends token and status with `?` or `&` as needed, replacing the
partner's own, the fragment last; `--public-url` without query or fragment), RFC 3986's
grammar (section 3) for what is or is not a URI, and hand-written examples.
"""

from __future__ import annotations

import pytest

from mockserver.domain.urls import (
    UrlError,
    check_base_url,
    check_redirect_uri,
    origin_of_host,
    with_params,
)


@pytest.mark.parametrize(
    "uri",
    ["https://partner.example/cb", "http://127.0.0.1:8080/cb?a=1", "HTTPS://Partner.Example/",
     "https://p.example/cb?x=%20y#frag", "http://[::1]:1/", "https://p.example:65535",
     "https://p.example/cb?"],
)  # fmt: skip
def test_usable_redirect_uris(uri: str) -> None:
    check_redirect_uri(uri)


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        (
            "https://p.example/a b",
            r"is not a URI \(RFC 3986\): percent-encode spaces, non-ASCII characters and `%`$",
        ),
        ("https://p.example/é", "is not a URI"),
        ("https://p.example/100%", "is not a URI"),
        ("/relative/path", "is not a URI"),
        ("ftp://p.example/", "must be an http or https URL"),
        ("mailto:someone@p.example", "must be an http or https URL"),
        ("https://user@p.example/", r"must not carry user information \(user@host\)"),
        ("https://user:pw@p.example/", "must not carry user information"),
        ("https://p.example:0/", r"has a port outside 1\.\.65535"),
        ("https://p.example:65536/", r"has a port outside 1\.\.65535"),
        ("https:///path", "has no host"),
        ("https://:80/", "has no host"),
    ],
)
def test_unusable_redirect_uris_say_why(uri: str, reason: str) -> None:
    with pytest.raises(UrlError, match=f"^{reason}"):
        check_redirect_uri(uri)


def test_url_error_is_a_value_error() -> None:
    assert issubclass(UrlError, ValueError)


@pytest.mark.parametrize(
    ("url", "base"),
    [("http://localhost:9000", "http://localhost:9000"),
     ("https://mock.example/prefix/", "https://mock.example/prefix"),
     ("http://h.example//", "http://h.example"), ("http://h.example/APEX/", "http://h.example/APEX")],
)  # fmt: skip
def test_public_url_loses_its_trailing_slash(url: str, base: str) -> None:
    assert check_base_url(url) == base


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://h.example/a b", "--public-url 'http://h.example/a b' is not a URL (RFC 3986)"),
        ("ftp://h.example", "--public-url 'ftp://h.example' must be an http or https URL"),
        ("http://h.example:0", "--public-url 'http://h.example:0' has a port outside 1..65535"),
        (
            "http://h.example/?a=1",
            "--public-url 'http://h.example/?a=1' must not have a query or a fragment",
        ),
        (
            "http://h.example/#x",
            "--public-url 'http://h.example/#x' must not have a query or a fragment",
        ),
        (
            "http://h.example/?",
            "--public-url 'http://h.example/?' must not have a query or a fragment",
        ),
        (
            "http://h.example/#",
            "--public-url 'http://h.example/#' must not have a query or a fragment",
        ),
    ],
)
def test_unusable_public_urls(url: str, message: str) -> None:
    with pytest.raises(UrlError) as caught:
        check_base_url(url)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("host", "origin"),
    [("mock.example", "http://mock.example"), ("127.0.0.1:8080", "http://127.0.0.1:8080"),
     ("XBOX.example", "http://XBOX.example"),
     ("[::1]:9000", "http://[::1]:9000")],
)  # fmt: skip
def test_a_valid_host_header_gives_an_origin(host: str, origin: str) -> None:
    assert origin_of_host("http", host) == origin


@pytest.mark.parametrize(
    "host",
    ["", "a/b", "a?b", "a#b", "user@h", "h:0", "h:99999", "h h", "h:port", ":80"],
)
def test_an_unusable_host_header_gives_none(host: str) -> None:
    assert origin_of_host("http", host) is None


def test_the_scheme_of_an_origin_must_be_http() -> None:
    assert origin_of_host("https", "h.example") == "https://h.example"
    assert origin_of_host("ftp", "h.example") is None


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://p/cb", "https://p/cb?token=T&status=ok"),
        ("https://p/cb?", "https://p/cb?token=T&status=ok"),
        ("https://p/cb?a=1", "https://p/cb?a=1&token=T&status=ok"),
        ("https://p/cb?a=1&", "https://p/cb?a=1&token=T&status=ok"),
        ("https://p/cb?a=&b", "https://p/cb?a=&b&token=T&status=ok"),  # blank values kept
        ("https://p/cb?B=%7e&a=x+y", "https://p/cb?B=%7e&a=x+y&token=T&status=ok"),  # encoding kept
        ("https://p/cb?token=old&a=1&status=x", "https://p/cb?a=1&token=T&status=ok"),
        ("https://p/cb?%74oken=old", "https://p/cb?token=T&status=ok"),  # %74 is t
        ("https://p/cb?tok+en=1", "https://p/cb?tok+en=1&token=T&status=ok"),
        ("https://p/cb?token", "https://p/cb?token=T&status=ok"),
        (
            "https://p/cb?Token=1",
            "https://p/cb?Token=1&token=T&status=ok",
        ),  # names are case-sensitive
        ("https://p/cb#f", "https://p/cb?token=T&status=ok#f"),
        ("https://p/cb?a=1#f?g", "https://p/cb?a=1&token=T&status=ok#f?g"),
        ("https://p/cb#", "https://p/cb?token=T&status=ok#"),
        ("https://p/cb?a=%ff", "https://p/cb?a=%ff&token=T&status=ok"),
        ("https://p/cb?%ff=1", "https://p/cb?%ff=1&token=T&status=ok"),  # not UTF-8: kept
    ],
)
def test_with_params_keeps_the_url_and_replaces_its_own(uri: str, expected: str) -> None:
    assert with_params(uri, [("token", "T"), ("status", "ok")]) == expected


def test_with_params_encodes_the_values_it_adds() -> None:
    assert with_params("https://p/", [("a b", "c&d=é")]) == "https://p/?a+b=c%26d%3D%C3%A9"
    assert with_params("https://p/?a+b=1&x=2", [("a b", "3")]) == "https://p/?x=2&a+b=3"

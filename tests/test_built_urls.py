"""Issue 10, item 6: every URL the mock emits is built from validated parts.

The consent redirect gives the partner's redirect_uri back byte for byte, with only token and
status appended; a redirect_uri the consent step could not send back is refused at
/IDMOBILE/ (01); the consent url's host comes from a Host header only when that is a valid
RFC 3986 host[:port].
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mockserver.cli import main
from mockserver.settings import Settings
from mockserver.testing.server import MockServer

ORANGE = "+33639980001"
T = "{token}"  # stands for the session's token in the tables below

# redirect_uri as sent -> Location expected (written by hand from the rule: the partner's URL
# as sent, its own token/status replaced, `token` and `status` appended before any fragment).
KEPT = {
    "https://partner.example/cb?ville=Orl%E9ans&close": f"https://partner.example/cb?ville=Orl%E9ans&close&token={T}&status=success",
    "https://partner.example/cb": f"https://partner.example/cb?token={T}&status=success",
    "https://partner.example/cb?": f"https://partner.example/cb?token={T}&status=success",
    "https://partner.example/cb?a=1&": f"https://partner.example/cb?a=1&token={T}&status=success",
    "https://partner.example/a%7eb?x=%7e&y=%2F&z=a+b#%41": f"https://partner.example/a%7eb?x=%7e&y=%2F&z=a+b&token={T}&status=success#%41",
    "https://Partner.EXAMPLE:443/a/../b?q": f"https://Partner.EXAMPLE:443/a/../b?q&token={T}&status=success",
    "https://partner.example/cb?token=old&order=42&status=x": f"https://partner.example/cb?order=42&token={T}&status=success",
    "http://[::1]:8080/cb?a=1#": f"http://[::1]:8080/cb?a=1&token={T}&status=success#",
    "https://partner.example/cb?a=%C3%A9&b=&&c": f"https://partner.example/cb?a=%C3%A9&b=&&c&token={T}&status=success",
}  # fmt: skip

REFUSED = [
    "https://partner.example/cb?a b",
    "https://partner.example/cb?ville=Orléans",
    'https://partner.example/cb?next="><script>',
    "https://partner.example/%zz",
    "https://partner.example/cb?%",
    "https://partner.example/cb#a#b",
    "https://partner.example/cb\r\nSet-Cookie: x=1",
    "ftp://partner.example/cb",
    "https:///cb",
    "https://:80/cb",
    "https://partner.example:99999/cb",
    "https://partner.example:0/cb",
    "https://user@partner.example/cb",
    "//partner.example/cb",
    # From the first review, where some answered 500: no host, a broken IPv6 literal, a port
    # past 65535.
    "http://[::1",
    "http://a:99999/",
    "https://:80/x",
    "http://",
]


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with MockServer(Settings(seed=7)) as server:
        yield server


def call(
    mock: MockServer,
    method: str,
    target: str,
    body: str = "",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One exchange with exactly these headers (Host included): (status, headers, body)."""
    parts = urlsplit(mock.base_url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        all_headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
        connection.request(method, target, body=body.encode(), headers=all_headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def token(mock: MockServer) -> str:
    query = urlencode({"licence": "100001", "client_secret": "demo-secret", "grant_type": "client_idmobile"})  # fmt: skip
    _, _, body = call(mock, "GET", f"/ACCESS_TOKEN/?{query}")
    return str(json.loads(body)["access_token"])


def initiate(
    mock: MockServer, redirect_uri: str, host: str | None = None
) -> tuple[str, dict[str, str]]:
    """(token, /IDMOBILE/ answer) of a numVerify check sent with this redirect_uri."""
    tk = token(mock)
    form = {"licence": "100001", "token": tk, "name": "ACME", "scope": "numVerify",
            "number": ORANGE, "redirect_uri": redirect_uri}  # fmt: skip
    headers = {"Host": host} if host is not None else {}
    status, _, body = call(mock, "POST", "/IDMOBILE/", urlencode(form), headers)
    assert status == 200
    answer: dict[str, str] = json.loads(body)
    return tk, answer


def location_after_consent(mock: MockServer, url: str) -> str:
    """POST the consent url with no fields (the scenario approves): the redirect's Location."""
    status, headers, _ = call(mock, "POST", urlsplit(url).path)
    assert status == 302
    return headers["Location"]


@pytest.mark.parametrize("redirect_uri", sorted(KEPT))
def test_the_partner_url_comes_back_byte_for_byte(mock: MockServer, redirect_uri: str) -> None:
    tk, answer = initiate(mock, redirect_uri)
    assert answer["status"] == "success", answer
    assert location_after_consent(mock, answer["url"]) == KEPT[redirect_uri].replace(T, tk)


@pytest.mark.parametrize("redirect_uri", REFUSED)
def test_a_redirect_uri_that_cannot_come_back_is_01_at_initiation(
    mock: MockServer, redirect_uri: str
) -> None:
    _, answer = initiate(mock, redirect_uri)
    assert answer == {"status": "error", "error_type": "invalid request", "error_id": "01"}
    [*_, entry] = mock.journal()
    assert entry["error_id"] == "01"


@pytest.mark.parametrize(
    ("host", "origin"),
    [
        ("bad host with spaces", None),
        ("example.test:9000", "http://example.test:9000"),
        ("[::1]:8080", "http://[::1]:8080"),
        ("EXAMPLE.test", "http://EXAMPLE.test"),
        ("user@example.test", None),
        ("example.test/path", None),
        ("example.test:99999", None),
        ("a:99999", None),
        ("example.test:0", None),
        ('exa"mple.test', None),
        ("", None),
    ],
)
def test_the_consent_url_uses_the_host_header_only_when_valid(
    mock: MockServer, host: str, origin: str | None
) -> None:
    _, answer = initiate(mock, "https://partner.example/cb", host=host)
    expected = origin or mock.base_url  # else: the address the client connected to
    assert answer["url"].startswith(f"{expected}/operator/orange/consent/s"), answer["url"]


def test_public_url_wins_over_any_host() -> None:
    with MockServer(Settings(seed=7, public_url="https://mock.example:8443/base")) as server:
        _, answer = initiate(server, "https://partner.example/cb", host="bad host with spaces")
    assert answer["url"].startswith("https://mock.example:8443/base/operator/orange/consent/s")


# --- the property: whatever /IDMOBILE/ accepts redirects as the rule says -------------------

UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
SUB_DELIMS = "!$&'()*+,;="
escapes = st.integers(0, 255).map(lambda b: f"%{b:02X}" if b % 2 else f"%{b:02x}")
query_chars = st.sampled_from([*UNRESERVED, *SUB_DELIMS, ":", "@", "/", "?", " ", "é", "%", "#", '"'])  # fmt: skip
query_text = st.lists(st.one_of(query_chars, escapes), max_size=30).map("".join)
hosts = st.one_of(
    st.sampled_from(["partner.example", "PARTNER.example", "127.0.0.1", "[::1]", "a-b.c_d~e", "x!$&'()*+,;=y"]),
    st.text(alphabet=UNRESERVED + " @[]:", min_size=0, max_size=12),
)  # fmt: skip
redirect_uris = st.builds(
    lambda scheme, host, port, path, query, fragment: (
        f"{scheme}://{host}{port}{path}{query}{fragment}"
    ),
    st.sampled_from(["http", "https", "HTTPS", "ftp"]),
    hosts,
    st.sampled_from(["", ":1", ":8080", ":65535", ":65536", ":0", ":x"]),
    st.lists(st.one_of(query_chars, escapes), max_size=10).map(lambda p: "/" + "".join(p)),
    st.one_of(st.just(""), query_text.map(lambda q: "?" + q)),
    st.one_of(st.just(""), query_text.map(lambda f: "#" + f)),
)


@given(redirect_uris)
def test_any_accepted_redirect_uri_comes_back_with_token_and_status_appended(
    mock: MockServer, redirect_uri: str
) -> None:
    tk, answer = initiate(mock, redirect_uri)
    if answer["status"] == "error":
        assert answer["error_id"] == "01"
        return
    sent = urlsplit(redirect_uri)  # accepted: a URI that urllib splits
    # The replacement of the partner's own token/status is the table's business (KEPT).
    assume(not {k for k, _ in parse_qsl(sent.query, keep_blank_values=True)} & {"token", "status"})
    location = location_after_consent(mock, answer["url"])
    got = urlsplit(location)
    assert (got.scheme, got.netloc, got.path, got.fragment) == (
        sent.scheme, sent.netloc, sent.path, sent.fragment
    )  # fmt: skip
    separator = "&" if sent.query and not sent.query.endswith("&") else ""
    assert got.query == f"{sent.query}{separator}token={tk}&status=success"
    assert ("#" in location) == ("#" in redirect_uri)


@pytest.mark.parametrize(
    "url", ["localhost:9000", "ftp://mock.example", "http://mock example", "http://m/?q=1", "http://m/#f", "http://u@m/"]
)  # fmt: skip
def test_the_cli_refuses_a_public_url_it_cannot_build_on(url: str) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--public-url", url])
    assert exited.value.code == 2

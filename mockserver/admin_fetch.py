"""What `dqe-mock report` and `dqe-mock export-session` share: their --url and --namespace
checked at argument parsing, one admin GET whose every failure is one line, and the words
of their exit status 2.

A malformed --url or --namespace is a usage error (argparse: a usage line, exit status 2)
before anything is sent; the URL's user information (`user:password@`) is never shown in a
message (domain/urls.py redact_userinfo).
"""

from __future__ import annotations

import argparse
import http.client
import os
import urllib.error
import urllib.request
from pathlib import Path

from mockserver.domain.registry import NAMESPACE_RULE, valid_namespace
from mockserver.domain.urls import UrlError, check_base_url, redact_userinfo

# Exit status 2 of both commands, word for word in their --help.
EXIT_2 = "usage error, unreachable mock, or the output cannot be written"


class Unreachable(Exception):
    """The mock gave no answer to read (not reached, a broken answer): a one-line reason,
    user information redacted (exit status 2)."""


class Refused(Exception):
    """The mock answered an HTTP error: its status, its body (the first 64 KiB, as text) and
    the HTTP reason phrase."""

    def __init__(self, status: int, body: str, reason: str) -> None:
        super().__init__(f"HTTP {status} {reason}")
        self.status, self.body, self.reason = status, body, reason


def mock_url(text: str) -> str:
    """argparse type of --url: an http(s) base URL with a host, a port in 1..65535 when
    given, no user information, query or fragment; returned without its trailing slash.
    argparse.ArgumentTypeError (a usage error, exit 2) otherwise."""
    try:
        return check_base_url(text, "--url")
    except UrlError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def namespace(text: str) -> str:
    """argparse type of --namespace: a name that follows NAMESPACE_RULE (domain/registry.py);
    an empty name is refused, never read as "every namespace"."""
    if not valid_namespace(text):
        raise argparse.ArgumentTypeError(
            f"--namespace {text!r} must match {NAMESPACE_RULE} (a letter or digit, then up to "
            "63 letters, digits, '.', '_', ':' or '-')"
        )
    return text


def admin_get(
    url: str, admin_token: str | None, accept: str, timeout: float, max_bytes: int
) -> bytes:
    """GET `url` (an admin call), at most `max_bytes` + 1 bytes of its body.

    Raises Refused for an HTTP error status, Unreachable for anything else that goes wrong
    (connection, timeout, a URL http.client refuses, a broken answer)."""
    request = urllib.request.Request(url, headers={"Accept": accept})
    if admin_token:
        request.add_header("Authorization", f"Bearer {admin_token}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            body: bytes = reply.read(max_bytes + 1)
            return body
    except urllib.error.HTTPError as exc:
        try:
            said = exc.read(64 * 1024).decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            said = ""
        raise Refused(exc.code, said, str(exc.reason)) from exc
    except (OSError, ValueError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", None) or exc or type(exc).__name__
        said = " ".join(str(reason).split()) or type(exc).__name__
        raise Unreachable(f"cannot reach {redact_userinfo(url)}: {redact_userinfo(said)}") from exc


def cannot_write(output: str | Path | None) -> str | None:
    """Why --output cannot be written (its directory is missing or not writable, or it is a
    directory), checked before anything is fetched; None when it looks writable."""
    if output is None:
        return None
    path = Path(output)
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        return f"cannot write {output}: it is a directory"
    if not folder.is_dir():
        return f"cannot write {output}: no such directory {folder}"
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return f"cannot write {output}: permission denied"
    return None

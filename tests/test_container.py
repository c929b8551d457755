"""The Docker image, built with podman from this checkout and run (docs/docker.md).

No container registry is reachable where these tests run, so the base image is made here:
Debian bookworm, minbase, with python3 and python3-venv (the plain-Debian base the Dockerfile
must build on), by mmdebstrap from Debian's packages, imported into podman. The tarball is
cached under ~/.cache/dqe-mock-container/ (or $XDG_CACHE_HOME), named by a hash of the
mmdebstrap command, and the imported image is kept under a tag of the same hash: the first run
on a machine makes both (about two minutes), later runs reuse them. pip inside the build gets
the host's index and CA bundle (from `pip config list`), so the build works behind the mirror
or proxy the host uses as well as against plain PyPI.

One test walks the container's whole life, since each step needs the previous one: build,
start with a read-only scenario directory mounted, healthy, not root, no sources, one consent
flow, the mounted scenario answered and hot-reloaded, then `podman stop` and exit status 0.
Containers and the built image have unique names and are removed in `finally` blocks.
Podman runs with runc and bounded ulimits: its defaults are too high for these hosts.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

ROOT = Path(__file__).resolve().parent.parent
MMDEBSTRAP = (
    "mmdebstrap",
    "--variant=minbase",
    "--include=ca-certificates,python3,python3-venv",
    "bookworm",
)
KEY = hashlib.sha256(json.dumps(MMDEBSTRAP).encode()).hexdigest()[:16]
BASE_IMAGE = f"localhost/dqe-mock-test-base:{KEY}"
RUNTIME = (
    "--runtime", "runc",
    "--ulimit", "nofile=20000:20000",
    "--ulimit", "nproc=32768:32768",
)  # fmt: skip
CONTAINER_PORT = 8080  # the Dockerfile's EXPOSE (tests/test_dockerfile.py checks it)
# pip settings passed to the build as PIP_* arguments (the Dockerfile's build-stage ARGs).
PIP_SETTINGS = ("index-url", "extra-index-url", "trusted-host", "cert")
LABEL = "dqe-mock-test=1"  # on every image the test builds, intermediate ones included
BUILD_CA = "/run/dqe-mock-build/ca.pem"  # where the host's CA bundle is mounted in the build

BASE_WITHIN = 900.0  # mmdebstrap of a fresh base: about 90 s here
BUILD_WITHIN = 900.0
STEP_WITHIN = 60.0  # any other podman call, or a state the container must reach
RELOAD_WITHIN = 30.0  # a rewritten scenario file answers within a second; allow for load

# The consent flow's expected values: the README's walkthrough ("matching,formfilling"), a
# table written by hand from the built-in pack's subscriber of +33 6 39 98 00 01.
LICENCE, SECRET = "100001", "demo-secret"
NUMBER = "0639980001"
OTP = "123456"
USER_INFOS = {
    "street_address": "boulevard des Capucines", "postal_code": "75002", "locality": "Paris",
    "country": "France", "birthdate": "1985-04-12", "email": "jean.dupont@example.com",
    "lastname": "Dupond", "maiden_name": "", "gender": "M", "firstname": "Jean",
    "phone": NUMBER, "number": "10",
}  # fmt: skip
REDIRECT = "https://partner.example/callback"
# The browser's address (--public-url): another than the one the test calls, as behind Compose.
PUBLIC_URL = "http://browser.example:9000"

# The mounted scenario: a number the built-in pack leaves free, and the /IDMOBILE/ error it
# answers, first 16 then, after the file is rewritten, 12 (both documented /IDMOBILE/ errors).
MOUNTED_NUMBER = "0639987901"
SCENARIO = """\
version: 1
scenarios:
  - id: container-mounted
    match: {{numbers: ["{number}"]}}
    operator: Orange
    outcome: {{initiate_error: "{error}"}}
"""

T = TypeVar("T")


# -- podman -------------------------------------------------------------------------------------


def run_podman(*args: str, timeout: float = STEP_WITHIN) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("podman")
    if executable is None:
        pytest.fail(
            "podman is not installed: scripts/test installs it with runc and mmdebstrap "
            "(apt-get install podman runc mmdebstrap)"
        )
    return subprocess.run(
        [executable, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def podman(*args: str, timeout: float = STEP_WITHIN, check: bool = True) -> str:
    """`podman ARGS`: its stdout; a failure quotes the command and what it printed."""
    result = run_podman(*args, timeout=timeout)
    if check and result.returncode != 0:
        pytest.fail(f"podman {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result.stdout


def cache_dir() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(root) / "dqe-mock-container"
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path`: one process makes the base at a time."""
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def base_image() -> str:
    """The Debian base in podman: kept from an earlier run, imported from the cached tarball,
    or made now by mmdebstrap (and the tarball cached)."""
    cache = cache_dir()
    with locked(cache / f"base-{KEY}.lock"):
        if run_podman("image", "exists", BASE_IMAGE).returncode == 0:
            return BASE_IMAGE
        tarball = cache / f"base-{KEY}.tar"
        if not tarball.exists():
            if shutil.which("mmdebstrap") is None:
                pytest.fail("mmdebstrap is not installed: scripts/test installs it")
            partial = tarball.with_suffix(".part.tar")
            result = subprocess.run(
                [*MMDEBSTRAP, str(partial)],
                capture_output=True, text=True, timeout=BASE_WITHIN, check=False,
            )  # fmt: skip
            if result.returncode != 0:
                partial.unlink(missing_ok=True)
                pytest.fail(f"{' '.join(MMDEBSTRAP)} failed:\n{result.stderr[-4000:]}")
            partial.replace(tarball)
        podman("import", str(tarball), BASE_IMAGE, timeout=BUILD_WITHIN)
    return BASE_IMAGE


def host_pip_settings() -> dict[str, str]:
    """The host's pip index, extra indexes, trusted hosts and CA bundle, as pip resolves them
    (environment over `install` over `global`); local file:// indexes left out, since the build
    cannot see them (PyPI, or the index-url, still serves every package)."""
    listed = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"],
        capture_output=True, text=True, timeout=STEP_WITHIN, check=True,
    ).stdout  # fmt: skip
    rank = {"global": 0, "install": 1, ":env:": 2}
    found: dict[str, tuple[int, str]] = {}
    for line in listed.splitlines():
        match = re.fullmatch(r"(:env:|[a-z]+)\.([a-z-]+)='(.*)'", line.strip())
        if not match or match[1] not in rank or match[2] not in PIP_SETTINGS:
            continue
        if rank[match[1]] >= found.get(match[2], (-1, ""))[0]:
            found[match[2]] = (rank[match[1]], match[3])
    settings = {name: value for name, (_, value) in found.items()}
    for name in ("index-url", "extra-index-url"):
        if name in settings:
            urls = [url for url in settings[name].split() if url.startswith(("http:", "https:"))]
            settings[name] = " ".join(urls)
    return {name: value for name, value in settings.items() if value}


def build_options() -> list[str]:
    """`podman build` options giving the build the host's pip settings."""
    options = []
    for name, value in host_pip_settings().items():
        if name == "cert":
            if not Path(value).is_file():
                continue
            options += ["-v", f"{value}:{BUILD_CA}:ro"]
            value = BUILD_CA
        options += ["--build-arg", f"PIP_{name.upper().replace('-', '_')}={value}"]
    return options


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    """This checkout's image, built on the local Debian base; removed afterwards."""
    base = base_image()
    tag = f"localhost/dqe-mock-test:{uuid.uuid4().hex[:12]}"
    # The build's intermediate images are the next build's layer cache; those of builds more
    # than a day old go, so that a machine's storage does not grow run after run.
    podman("image", "prune", "--force", "--filter", f"label={LABEL}", "--filter", "until=24h")
    try:
        podman(
            "build", "--format", "docker", "--network", "host", "--pull=never", "--layers",
            "--label", LABEL, "--build-arg", f"BASE_IMAGE={base}", *build_options(),
            "--tag", tag, str(ROOT),
            timeout=BUILD_WITHIN,
        )  # fmt: skip
        yield tag
    finally:
        podman("rmi", "--force", tag, check=False)


# -- HTTP ---------------------------------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """The consent page's redirect goes to the partner's site: read it, do not follow it."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def call(url: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """GET `url`, or POST `form` to it: (status, headers, body); no redirect followed."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with OPENER.open(url, data=data, timeout=STEP_WITHIN) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def answer(url: str, form: dict[str, str] | None = None) -> dict[str, Any]:
    status, _, body = call(url, form)
    assert status == 200, (url, status, body)
    document: dict[str, Any] = json.loads(body)
    return document


def until(what: str, probe: Callable[[], T | None], within: float = STEP_WITHIN) -> T:
    """Poll `probe` until it returns something other than None; fail after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        found = probe()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {within:g} s")
        time.sleep(0.2)


# -- the container's life -----------------------------------------------------------------------


def write_scenario(directory: Path, error: str) -> None:
    """Replace the mounted scenario file at once (a rename: the server never reads half)."""
    text = SCENARIO.format(number=MOUNTED_NUMBER, error=error)
    partial = directory / ".container.yaml.part"
    partial.write_text(text, encoding="utf-8")
    partial.chmod(0o644)  # the server runs as uid 10001: the file must be readable by it
    partial.replace(directory / "container.yaml")


def mounted_error(base: str, token: str) -> str | None:
    """The error_id /IDMOBILE/ answers for the mounted scenario's number."""
    document = answer(
        f"{base}/IDMOBILE/",
        {"licence": LICENCE, "token": token, "name": "Acme", "scope": "numVerify",
         "number": MOUNTED_NUMBER},
    )  # fmt: skip
    error = document.get("error_id")
    return error if isinstance(error, str) else None


def consent_flow(base: str, public_url: str) -> None:
    """ACCESS_TOKEN, /IDMOBILE/ matching,formfilling, the consent POST, /GET/ to success."""
    token = answer(
        f"{base}/ACCESS_TOKEN/?client_secret={SECRET}&grant_type=client_idmobile&licence={LICENCE}"
    )["access_token"]
    scope = "matching,formfilling"
    initiated = answer(
        f"{base}/IDMOBILE/",
        {"licence": LICENCE, "token": token, "mode": "2", "name": "Acme", "scope": scope,
         "number": NUMBER, "user_infos": json.dumps(USER_INFOS), "redirect_uri": REDIRECT},
    )  # fmt: skip
    # The consent link names the browser's address (--public-url), not the one called.
    url = initiated["url"]
    assert url.startswith(f"{public_url}/operator/"), initiated
    poll = f"{base}/GET/?" + urllib.parse.urlencode(
        {"token": token, "Licence": LICENCE, "scope": scope}
    )
    assert answer(poll) == {"status": "pending", "scope": scope}

    status, headers, body = call(base + url.removeprefix(public_url), {"otp": OTP})
    assert status in {302, 303}, (status, body)
    location = urllib.parse.urlsplit(headers["Location"])
    assert location._replace(query="").geturl() == REDIRECT
    assert urllib.parse.parse_qs(location.query)["status"] == ["success"]

    def finished() -> dict[str, Any] | None:
        document = answer(poll)
        return None if document["status"] == "pending" else document

    result = until("the consent's /GET/ result", finished)
    assert (result["status"], result["scope"]) == ("success", scope), result
    assert result["matching"]["family_name"] == 0.88
    assert result["formfilling"]["family_name"] == "Dupont"


def health(name: str) -> str | None:
    """Run the image's HEALTHCHECK now (podman has no timer without systemd); its state."""
    podman("healthcheck", "run", name, check=False)
    status = podman("inspect", "--format", "{{.State.Health.Status}}", name).strip()
    return status if status == "healthy" else None


@pytest.mark.container
def test_the_image_serves_reloads_and_stops_cleanly(image: str, tmp_path: Path) -> None:
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    scenarios.chmod(0o755)
    write_scenario(scenarios, "16")
    name = f"dqe-mock-test-{uuid.uuid4().hex[:12]}"
    try:
        podman(
            "run", "--detach", "--name", name, *RUNTIME,
            # Published on a free port of 127.0.0.1 that podman picks (no race with other tests).
            "--publish", f"127.0.0.1::{CONTAINER_PORT}",
            "--volume", f"{scenarios}:/scenarios:ro",
            image, "--scenarios", "/scenarios", "--public-url", PUBLIC_URL,
        )  # fmt: skip
        published = podman("port", name, f"{CONTAINER_PORT}/tcp").split()
        assert len(published) == 1, published
        assert published[0].startswith("127.0.0.1:"), published
        base = f"http://{published[0]}"

        def listening() -> bool | None:
            with contextlib.suppress(OSError):
                return call(f"{base}/__admin/health")[0] == 200 or None
            return None

        until(f"the container answering on {base}", listening)
        assert until("the HEALTHCHECK turning healthy", lambda: health(name)) == "healthy"

        # PID 1 (the server) runs as the Dockerfile's numeric user, not root.
        status = podman("exec", name, "cat", "/proc/1/status")
        uids = re.search(r"^Uid:\s+(.*)$", status, re.M)
        assert uids is not None, status
        assert set(uids[1].split()) == {"10001"}
        # The package is installed in the virtualenv; the sources and tests are not there.
        where = podman(
            "exec", name, "python3", "-c",
            "import importlib.util, os, mockserver; "
            "print(mockserver.__file__, os.path.exists('/src'), importlib.util.find_spec('tests'))",
        ).split()  # fmt: skip
        assert where[0].startswith("/opt/dqe-mock/lib/"), where
        assert where[1:] == ["False", "None"]

        consent_flow(base, PUBLIC_URL)

        token = answer(
            f"{base}/ACCESS_TOKEN/?client_secret={SECRET}&grant_type=client_idmobile&licence={LICENCE}"
        )["access_token"]
        assert mounted_error(base, token) == "16"
        write_scenario(scenarios, "12")

        def reloaded() -> bool | None:
            return mounted_error(base, token) == "12" or None

        until("the rewritten scenario file answering 12", reloaded, RELOAD_WITHIN)

        podman("stop", "--time", "30", name, timeout=STEP_WITHIN + 30)
        state = json.loads(podman("inspect", "--format", "{{json .State}}", name))
        assert (state["Status"], state["ExitCode"]) == ("exited", 0), (
            state,
            podman("logs", name, check=False),
        )
    finally:
        podman("rm", "--force", name, check=False)

# dqe-mock in a container: `docker build -t dqe-mock . && docker run -p 8080:8080 dqe-mock`.
#
# Arguments after the image name are added to `dqe-mock serve`, for example
#   docker run -p 9000:8080 dqe-mock --public-url http://localhost:9000
# --public-url is the address the user's browser uses for the consent page, when the program
# that calls /IDMOBILE/ reaches the mock under another address (a Compose service name, a CI
# service container's alias, a proxy): that program gets consent links the browser can open.
#
# Scenario files: mount a directory (-v "$PWD/scenarios:/scenarios:ro" ... --scenarios
# /scenarios) or a single file (-v "$PWD/shop.yaml:/scenarios/shop.yaml:ro" ... --scenarios
# /scenarios/shop.yaml); both reload on change, but a file mount keeps the old file when an
# editor saves by renaming a new one over it: prefer the directory. Add --watch-poll where
# file-system events do not reach the container (Docker Desktop on macOS and Windows).
# The server runs as uid 10001: mounted files must be readable by it (world-readable is enough).
#
# The base: any image with python3 (>= 3.11) and its venv module, python:*-slim by default or a
# plain Debian with python3 and python3-venv (--build-arg BASE_IMAGE=...); tests/test_container.py
# builds on such a Debian, made locally with mmdebstrap.
# pip reads PyPI; behind a mirror or a proxy with its own CA, pass pip's settings as build
# arguments: --build-arg PIP_INDEX_URL=https://mirror.example/simple (also PIP_EXTRA_INDEX_URL,
# PIP_TRUSTED_HOST), and with podman a CA bundle mounted into the build and named:
#   podman build -v /etc/ssl/certs/ca-certificates.crt:/ca.pem:ro --build-arg PIP_CERT=/ca.pem .
ARG BASE_IMAGE=python:3.12-slim

# -- build: a virtualenv with the wheel of this directory and its dependencies ------------------
FROM ${BASE_IMAGE} AS build

# Unset unless given with --build-arg: pip then uses its defaults (PyPI, its own CA bundle).
ARG PIP_INDEX_URL
ARG PIP_EXTRA_INDEX_URL
ARG PIP_TRUSTED_HOST
ARG PIP_CERT

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore

# A virtualenv, first on PATH: a plain Debian python3 has no pip, and PEP 668 refuses a
# system-wide install; python:*-slim images accept either.
RUN python3 -m venv /opt/dqe-mock
ENV PATH=/opt/dqe-mock/bin:$PATH

WORKDIR /src
# The dependencies first, in a layer of their own that only a change of pyproject.toml rebuilds.
COPY pyproject.toml ./
RUN python3 -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > requirements.txt \
    && pip install --no-cache-dir --requirement requirements.txt
# Then the package: its wheel (the contract and the built-in pack inside), installed alone.
COPY README.md ./
COPY schemas/ schemas/
COPY scenarios/ scenarios/
COPY mockserver/ mockserver/
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
    && pip install --no-cache-dir --no-deps /wheels/dqe_mock-*.whl \
    && dqe-mock --version

# -- final: the same base, the virtualenv, no sources, no tests, no build tools -----------------
FROM ${BASE_IMAGE}

ENV PATH=/opt/dqe-mock/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

COPY --from=build /opt/dqe-mock /opt/dqe-mock

# A numeric user, so that Kubernetes' runAsNonRoot can check it without reading /etc/passwd.
RUN groupadd --gid 10001 dqe \
    && useradd --no-log-init --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin dqe
USER 10001:10001
WORKDIR /home/dqe
EXPOSE 8080

# Healthy once the server answers /__admin/health; a 401 (the server runs with --admin-token)
# is an answer too. Python's urllib: the image needs no curl. The port is the one the server
# listens on: read from PID 1's command line (/proc/1/cmdline, the check's argument), the last
# --port N or --port=N there (argparse's rule: the last one given wins, so `docker run dqe-mock
# --port 9000` is checked on 9000), 8080 when none is found. --port 0 (a free port) cannot be
# checked this way and turns unhealthy.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python3", "-c", "import sys, urllib.error, urllib.request\ntry:\n    with open(sys.argv[1], 'rb') as file:\n        args = file.read().decode(errors='replace').split('\\0')\nexcept OSError:\n    args = []\nport = '8080'\nfor i, arg in enumerate(args):\n    name, eq, value = arg.partition('=')\n    if len(name) > 3 and '--port'.startswith(name):\n        port = value if eq else args[i + 1] if i + 1 < len(args) else port\ntry:\n    urllib.request.urlopen(f'http://127.0.0.1:{int(port)}/__admin/health', timeout=4)\nexcept urllib.error.HTTPError as exc:\n    sys.exit(exc.code != 401)\nexcept (OSError, ValueError):\n    sys.exit(1)", "/proc/1/cmdline"]

# Exec form: dqe-mock is PID 1 and receives SIGTERM from `docker stop`: it stops listening, lets
# requests in flight finish (--shutdown-timeout) and exits 0.
ENTRYPOINT ["dqe-mock", "serve", "--host", "0.0.0.0", "--port", "8080"]

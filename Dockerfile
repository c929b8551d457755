# dqe-mock in a container: `docker build -t dqe-mock . && docker run -p 8080:8080 dqe-mock`.
#
# Arguments after the image name are added to `dqe-mock serve`, for example
#   docker run -p 9000:8080 dqe-mock --public-url http://localhost:9000
# --public-url is the address the user's browser uses for the consent page, when the program
# that calls /IDMOBILE/ reaches the mock under another address (a Compose service name, a proxy).
#
# Scenario files: mount a directory (-v "$PWD/scenarios:/scenarios" ... --scenarios /scenarios)
# or a single file (-v "$PWD/shop.yaml:/scenarios/shop.yaml" ... --scenarios
# /scenarios/shop.yaml); both reload on change. Add --watch-poll where file-system events do not
# reach the container (Docker Desktop on macOS and Windows).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY . .
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 dqe

USER dqe
WORKDIR /home/dqe
EXPOSE 8080

# Exec form: dqe-mock is PID 1 and receives SIGTERM from `docker stop` (aiohttp shuts down cleanly).
ENTRYPOINT ["dqe-mock", "serve", "--host", "0.0.0.0", "--port", "8080"]

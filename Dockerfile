# mock-bankid: a MOCK of the BankID OpenID Connect provider for development and CI.
# NOT FOR PRODUCTION: anyone can sign in as anyone, and the signing keys are local test keys.
#
#   docker compose up            (see docker-compose.yml; issuer http://localhost:8080/auth/realms/current)
#   podman build --format docker -t mock-bankid:local .   (OCI, podman's default, drops HEALTHCHECK)
#   make image-test              build it and check it serves (scripts/image-test; needs docker or podman)
#
# What it installs is pinned in constraints.txt (`make constraints` regenerates it; docs/serving.md).
# tests/test_docker.py runs this file's CMD and HEALTHCHECK commands against a real server, so
# change them there and here together.

FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MOCK_BANKID_PORT=8080 \
    MOCK_BANKID_BASE_URL=http://localhost:8080 \
    MOCK_BANKID_DATA_DIR=/data \
    MOCK_BANKID_KEYS_DIR=/keys \
    MOCK_BANKID_FIXTURES_DIR=/app/fixtures
# uid and gid fixed (10001), so a volume's owner is the same in every build and on every host.
RUN groupadd --system --gid 10001 mockbankid \
    && useradd --system --create-home --home-dir /app --uid 10001 --gid 10001 mockbankid \
    && mkdir -p /data /keys \
    && chown mockbankid:mockbankid /data /keys
COPY --from=build /wheels /wheels
COPY constraints.txt /wheels/
# [redis]: the image also serves the Redis-backed mock in docker-compose.yml (--profile redis).
# -c: every dependency at the version constraints.txt pins, not whatever PyPI serves that day.
RUN pip install --no-cache-dir -c /wheels/constraints.txt "$(echo /wheels/*.whl)[redis]" && rm -rf /wheels
COPY --chown=mockbankid:mockbankid fixtures /app/fixtures
WORKDIR /app
USER 10001:10001
VOLUME ["/data", "/keys"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["mock-bankid", "health"]
CMD ["mock-bankid", "serve", "--host", "0.0.0.0", "--allow-public-bind"]

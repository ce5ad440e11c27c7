# mock-bankid: a MOCK of the BankID OpenID Connect provider for development and CI.
# NOT FOR PRODUCTION: anyone can sign in as anyone, and the signing keys are local test keys.
#
#   docker compose up            (see docker-compose.yml; issuer http://localhost:8080/auth/realms/current)
#
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
RUN useradd --system --create-home --home-dir /app --uid 10001 mockbankid \
    && mkdir -p /data /keys \
    && chown mockbankid:mockbankid /data /keys
COPY --from=build /wheels /wheels
# [redis]: the image also serves the Redis-backed pair in docker-compose.yml (--profile redis).
RUN pip install --no-cache-dir "$(echo /wheels/*.whl)[redis]" && rm -rf /wheels
COPY --chown=mockbankid:mockbankid fixtures /app/fixtures
WORKDIR /app
USER mockbankid
VOLUME ["/data", "/keys"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["mock-bankid", "health"]
CMD ["mock-bankid", "serve", "--host", "0.0.0.0", "--allow-public-bind"]

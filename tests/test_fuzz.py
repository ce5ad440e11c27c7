"""Schemathesis over every operation of mock_bankid/openapi.json, against the Flask app (WSGI).

For each operation: the description's examples, its coverage cases (boundaries, missing and wrong
types, unexpected methods) and generated requests, valid and invalid. Every answer must be

- no 5xx (``not_a_server_error``): hostile input is a 4xx, never a server error;
- conformant to the description: a status it lists, its content type, its schema, its headers
  (``X-Mock-BankID`` on every answer);
- at a JSON endpoint, a JSON error in RFC 6749's shape (``json_errors_at_json_endpoints``).

Bounded so that `make test` stays fast: ``MAX_EXAMPLES`` generated cases per operation and phase,
no shrinking. A scenario switched on (and the next-login queue, whose entries may carry one) is
cleared after every request, so one case cannot turn the next one's answers into a scenario's
deliberate 503 or 429; everything else a case changes (the clock, rotated keys) stays. Each
finding has its own regression test (tests/test_fuzz_findings.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import schemathesis
from conftest import FIXTURES
from hypothesis import HealthCheck, settings
from schemathesis import Config
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mock_bankid.app import create_app
from mock_bankid.core.settings import Settings
from mock_bankid.endpoints.openapi import packaged_description

MAX_EXAMPLES = int(os.environ.get("MOCK_BANKID_FUZZ_EXAMPLES", "20"))
"""Per operation and phase; raise it for a deeper run (``MOCK_BANKID_FUZZ_EXAMPLES=500 pytest tests/test_fuzz.py``)."""
EXTRA_CHECKS: list = []
CONFIG = Config.from_dict({
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "no-shrink": True, "deterministic": True},
    "phases": {"stateful": {"enabled": False}},
})
schema = schemathesis.openapi.from_dict(packaged_description(), config=CONFIG)


@schemathesis.check
def json_errors_at_json_endpoints(ctx, response, case):
    """Every error of a JSON endpoint (one whose description says its 4xx are JSON errors) is
    ``application/json`` with a string ``error``; browser pages answer errors as pages."""
    errors = case.operation.definition.raw["responses"].get("4XX", {}).get("$ref", "")
    if response.status_code < 400 or not errors.endswith("/JsonError"):
        return None
    media_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    assert media_type == "application/json", f"{response.status_code} answered as {media_type!r}, not JSON"
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str), f"not an OAuth error: {body!r}"
    return True


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    root: Path = tmp_path_factory.mktemp("fuzz")
    return create_app(Settings(base_url="http://localhost:8080", keys_dir=root / "keys", data_dir=root / "data",
                               fixtures_dir=FIXTURES, store="memory", log_requests=False))


def reset(app) -> None:
    """Switch off what makes later answers deliberately fail: a scenario (an outage is a 503 on
    purpose), and queued sign-ins that carry one. The clock stays where a case moved it, so later
    cases run on whatever date the fuzzer chose (which is how a 500 on a moved clock was found)."""
    client = app.test_client()
    for path in ("/_mock/scenario", "/_mock/next-login"):
        client.delete(path)


PROBES = ("/", "/_mock/console/switchboard", "/_mock/console/personas", "/_mock/", "/_mock/ready", "/_mock/personas",
          "/_mock/clock", "/_mock/keys", "/_mock/scenario", "/_mock/next-login", "/_mock/requests",
          "/auth/realms/current/.well-known/openid-configuration",
          "/auth/realms/current/protocol/openid-connect/certs",
          "/auth/realms/current/precheck/auth?client_id=ci&redirect_uri=http://127.0.0.1/callback&response_type=code"
          "&scope=openid&prompt=login&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
          "&code_challenge_method=S256")
"""Read after every state change under /_mock (once a scenario is cleared again): a change the
control surface accepted must not leave the mock answering 5xx elsewhere (a clock moved 27 years
ahead made /_mock/personas a 500)."""


def probe_after(case, app) -> None:
    if not case.path.startswith("/_mock") or case.method.upper() == "GET":
        return
    client = app.test_client()
    for path in PROBES:
        status = client.get(path).status_code
        assert status < 500, f"after {case.method} {case.path} (body {case.body!r}), GET {path} answered {status}"


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck), max_examples=MAX_EXAMPLES)
def test_every_operation_answers_in_its_description(case, fuzz_app):
    response = case.call(app=fuzz_app)
    try:
        case.validate_response(
            response,
            checks=[schemathesis.checks.not_a_server_error, status_code_conformance, content_type_conformance,
                    response_schema_conformance, response_headers_conformance, json_errors_at_json_endpoints,
                    *EXTRA_CHECKS],
        )
    finally:
        reset(fuzz_app)
    probe_after(case, fuzz_app)

"""The provider seam: what a provider's tokens and answers say comes from one ``Dialect`` object
(``mock_bankid/bankid/dialect.py`` for BankID), and the shared machinery never names a provider."""

from __future__ import annotations

import ast
import dataclasses
from typing import Any

from joserfc import jwt
from joserfc.jwk import KeySet

import mock_bankid
from mock_bankid.app import create_app
from mock_bankid.bankid.dialect import BANKID, BankIDDialect
from mock_bankid.oidc.grants import Grant
from tests.rp.driver import FlaskRP, query_of
from tests.test_layers import MODULES, PACKAGE

WIRING = ("mock_bankid.app", "mock_bankid.cli.token")
"""Where a provider is chosen and handed to the machinery: the only modules that may name one."""


@dataclasses.dataclass(frozen=True)
class ToyDialect(BankIDDialect):
    """A second provider in a few lines: other scopes, acr values and one claim of its own."""

    name: str = "Toy"
    supported_scopes: tuple[str, ...] = ("openid", "profile", "nnin_altsub", "toy")
    acr_values: tuple[str, ...] = ("urn:toy:low",)

    def acr_for(self, acr_values: str | None, persona: dict[str, Any] | None = None) -> tuple[str, list[str]]:
        return "urn:toy:low", ["toy-pwd"]

    def id_token_claims(self, grant: Grant, **kwargs: Any) -> dict[str, Any]:
        return {**super().id_token_claims(grant, **kwargs), "toy": True}


def test_the_shared_machinery_names_no_provider():
    """Only the provider's own package and the wiring import it: the oidc, http, scenarios,
    control and endpoints layers reach BankID's rules through ``provider().dialect``."""
    named = []
    providers = ("mock_bankid.bankid", "mock_bankid.vipps")
    for module, path in MODULES.items():
        if module.startswith(providers) or module in WIRING:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(providers):
                named.append(f"{module} imports {node.module}")
    assert not named, "\n".join(named)
    assert (PACKAGE / "bankid").is_dir() and mock_bankid.bankid.dialect.BANKID is BANKID


def test_a_second_dialect_changes_what_discovery_and_tokens_say(settings):
    app = create_app(settings, dialect=ToyDialect())
    client = app.test_client()
    rp = FlaskRP(client)
    doc = rp.discovery()
    assert doc["scopes_supported"] == ["openid", "profile", "nnin_altsub", "toy"]
    assert doc["acr_values_supported"] == ["urn:toy:low"]
    tokens = rp.tokens("adult")
    claims = jwt.decode(tokens["id_token"], KeySet.import_key_set(rp.jwks())).claims
    assert claims["toy"] is True and claims["acr"] == "urn:toy:low" and claims["amr"] == ["toy-pwd"]
    refused = rp.authorize(acr_values="urn:bankid:bid")  # BankID's acr means nothing to this provider
    assert query_of(refused.location)["error"] == "invalid_request"


def test_bankid_is_the_default_dialect(client):
    doc = FlaskRP(client).discovery()
    assert doc["acr_values_supported"] == list(BANKID.acr_values) == ["urn:bankid:bid", "urn:bankid:bis"]

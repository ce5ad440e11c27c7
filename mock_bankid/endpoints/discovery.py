"""Discovery (``{issuer}/.well-known/openid-configuration``).

Advertises only what is implemented: an endpoint appears under its route's ``discovery`` keys
(``core/routes.py``, at the URL of its channel) when its view is registered; grant types and auth
methods come from the registries the token endpoint itself uses (``oidc/grant_types``,
``oidc/client_auth``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify

from mock_bankid import __version__
from mock_bankid.core import routes
from mock_bankid.core.i18n import ALIASES, TEXTS
from mock_bankid.http.cached_json import cached_json
from mock_bankid.http.web import routed
from mock_bankid.oidc import grant_types, request_objects
from mock_bankid.oidc.client_auth import SUPPORTED_AUTH_METHODS
from mock_bankid.oidc.hooks import DiscoveryContext
from mock_bankid.oidc.jwt_client_auth import SIGNING_ALGS as ASSERTION_SIGNING_ALGS
from mock_bankid.oidc.provider import provider
from mock_bankid.oidc.request_objects import SIGNING_ALG_VALUES as REQUEST_OBJECT_ALGS

bp = Blueprint("discovery", __name__)

SIGNING_ALGS = ["RS256", "ES256"]
ADVERTISED_AUTH_METHODS = tuple(m for m in SUPPORTED_AUTH_METHODS if m != "none")
"""BankID's methods: no ``none`` ("Relying Parties must authenticate with BankID OIDC",
client-authentication). The document is one for every client, so it is BankID's shape; a dev public
client (``public_clients``) still authenticates with ``none``, a mock addition discovery does not list."""


def discovery_document() -> dict[str, Any]:
    p = provider()
    s = p.settings
    doc: dict[str, Any] = {"issuer": p.issuer}
    for route in routes.ROUTES:
        if route.discovery and route.endpoint(p.name) in current_app.view_functions:
            doc.update(dict.fromkeys(route.discovery, routes.url(route, s)))
    doc.update(
        {
            "response_types_supported": ["code"],
            "response_modes_supported": list(p.dialect.response_modes),
            "grant_types_supported": list(grant_types.names()),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": SIGNING_ALGS,
            "userinfo_signing_alg_values_supported": SIGNING_ALGS,
            "token_endpoint_auth_methods_supported": list(ADVERTISED_AUTH_METHODS),
            "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_SIGNING_ALGS),
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": list(p.dialect.supported_scopes),
            "claims_supported": list(p.dialect.claims_supported),
            "acr_values_supported": list(p.dialect.acr_values),
            "ui_locales_supported": sorted(set(TEXTS) | {"no"} | {k for k in ALIASES if "-" not in k}),
            "prompt_values_supported": ["none", "login"],
            "claims_parameter_supported": False,
            "request_parameter_supported": True,
            "request_object_signing_alg_values_supported": list(REQUEST_OBJECT_ALGS),
            "request_object_encryption_alg_values_supported": list(request_objects.ENCRYPTION_ALG_VALUES),
            "request_object_encryption_enc_values_supported": list(request_objects.ENCRYPTION_ENC_VALUES),
            "authorization_details_types_supported": list(p.dialect.authorization_detail_types),
            "request_uri_parameter_supported": False,
            "require_pushed_authorization_requests": False,
            "tls_client_certificate_bound_access_tokens": False,
            "authorization_response_iss_parameter_supported": True,
            "release": f"mock-bankid {__version__} (MOCK - not {p.dialect.name}, not for production)",
            "service_documentation": f"{s.mock_base}/",
            "mock": True,
        }
    )
    if "revocation_endpoint" in doc:
        doc["revocation_endpoint_auth_methods_supported"] = list(ADVERTISED_AUTH_METHODS)
        doc["revocation_endpoint_auth_signing_alg_values_supported"] = list(ASSERTION_SIGNING_ALGS)
    if "introspection_endpoint" in doc:
        doc["introspection_endpoint_auth_methods_supported"] = list(ADVERTISED_AUTH_METHODS)
        doc["introspection_endpoint_auth_signing_alg_values_supported"] = list(ASSERTION_SIGNING_ALGS)
    return p.dialect.discovery(doc)


@routed(bp, routes.DISCOVERY)
def openid_configuration() -> Response:
    p = provider()
    if not p.hooks.may_act("discovery"):
        response = cached_json("discovery", (p.name, p.settings.realm), discovery_document)  # one per issuer
    else:
        ctx = DiscoveryContext(document=discovery_document())
        short_circuit = p.hooks.at(ctx)
        if short_circuit is not None:
            return short_circuit
        response = jsonify(ctx.document)
    if p.dialect.discovery_cache_control:  # the provider's own caching (the route's is BankID's)
        response.headers["Cache-Control"] = p.dialect.discovery_cache_control
    return response

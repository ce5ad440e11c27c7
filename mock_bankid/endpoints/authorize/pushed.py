"""Pushed authorization requests (RFC 9126) and request objects (RFC 9101) at the authorize endpoint.

- ``expand``: the authorize endpoint's request behind ``request_uri`` (a pushed one, taken once,
  the client's own) or ``request`` (a verified request object); only ``client_id`` of the query
  counts beside them;
- ``push``: the PAR endpoint (``{issuer}/protocol/openid-connect/ext/par/request``): the client
  authenticates as at the token endpoint, its parameters (or its request object's) are judged by
  the authorize checks (RFC 9126 §2.1), and it gets ``request_uri`` and ``expires_in`` (201).
"""

from __future__ import annotations

from flask import Response, jsonify, request
from werkzeug.datastructures import MultiDict

from mock_bankid.core.errors import InvalidRequest, OAuthError, RequestUriNotSupported
from mock_bankid.endpoints.authorize.checks import CHECKS, check_redirect_uri
from mock_bankid.endpoints.authorize.request import AuthorizationRequest
from mock_bankid.oidc import par, request_objects
from mock_bankid.oidc.client_auth import authenticate_client
from mock_bankid.oidc.clients import Client
from mock_bankid.oidc.provider import Provider, provider

NOT_PUSHED = ("request_uri", "client_assertion", "client_assertion_type", "client_secret")
"""Form fields of the PAR request that are no authorization parameters (RFC 9126 §2.1)."""


def expand(req: AuthorizationRequest, client: Client, p: Provider) -> AuthorizationRequest:
    """The request the authorize endpoint judges: the pushed or signed one, else ``req`` itself."""
    try:
        if req.request_uri:
            if req.request_object:
                raise InvalidRequest("Send request or request_uri, not both (RFC 9101 section 5).")
            if not par.is_pushed(req.request_uri):
                raise RequestUriNotSupported(
                    "request_uri must be one the PAR endpoint issued: mock-bankid fetches no request_uri "
                    "(discovery: request_uri_parameter_supported false).")
            record = par.take(p, req.request_uri, client.client_id)
            return AuthorizationRequest.from_params(MultiDict(record["params"]), pushed=True,
                                                    signed=bool(record.get("signed")))
        if req.request_object:
            obj = request_objects.parameters(p, client, req.request_object)
            return AuthorizationRequest.from_params(MultiDict(obj.values), signed=True, encrypted=obj.encrypted)
    except OAuthError as exc:  # the redirect URI is inside what failed: nowhere trusted to send it
        exc.untrusted, exc.redirect = True, False
        raise
    return req


def push() -> Response:
    p = provider()
    if request.mimetype != "application/x-www-form-urlencoded":
        raise InvalidRequest("The pushed authorization request must be application/x-www-form-urlencoded.")
    form = request.form
    if "request_uri" in form:
        raise InvalidRequest("request_uri may not be pushed (RFC 9126 section 2.1).")
    client, _method = authenticate_client(p, request)
    duplicated = [name for name in form if len(form.getlist(name)) > 1]
    if duplicated:
        raise InvalidRequest(f"Parameters sent more than once: {', '.join(sorted(duplicated))}.")
    signed = bool(form.get("request"))
    if signed:
        params = request_objects.parameters(p, client, form["request"]).values
    else:
        params = {name: value for name, value in form.items() if name not in NOT_PUSHED}
    if params.get("client_id") not in (None, client.client_id):
        raise InvalidRequest("client_id differs from the authenticated client.")
    params["client_id"] = client.client_id
    req = AuthorizationRequest.from_params(MultiDict(params), pushed=True, signed=signed)
    check_redirect_uri(req, client)
    for check in CHECKS:
        check(req, client, p)
    request_uri, expires_in = par.push(p, client.client_id, params, signed=signed)
    response = jsonify({"request_uri": request_uri, "expires_in": expires_in})
    response.status_code = 201
    return response

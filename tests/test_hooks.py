"""The hook points' typed contexts: one per point, read back where a hook may change them, a clear
failure when a scenario reads the wrong one."""

from __future__ import annotations

import dataclasses

import pytest

from mock_bankid.oidc import hooks
from mock_bankid.oidc.grants import Grant
from mock_bankid.oidc.hooks import (
    DiscoveryContext,
    IdTokenClaimsContext,
    RequestContext,
    TokenContext,
    UserinfoContext,
)
from mock_bankid.scenarios import ENGINE_KEY, HOOK_POINTS, REGISTRY, Definition
from mock_bankid.scenarios.engine import SIGN_IN_POINTS, Active, Call

DISCOVERY = "/auth/realms/current/.well-known/openid-configuration"


def test_one_context_per_point() -> None:
    points = [context.point for context in hooks.CONTEXTS]
    assert len(points) == len(set(points))
    assert tuple(points) == HOOK_POINTS
    assert set(SIGN_IN_POINTS) <= set(HOOK_POINTS)
    for definition in REGISTRY.values():
        assert set(definition.points) | set(definition.sign_in_points) <= set(HOOK_POINTS), definition.name


def test_contexts_a_hook_only_reads_are_frozen() -> None:
    grant = Grant(client_id="ci", scope=["openid"], persona={}, acr="", amr=[], sid="s", auth_time=0,
                  extra={"scenario": "cancel"})
    frozen = (RequestContext(endpoint="token.token", path="/x"),
              TokenContext(client_id="ci", grant_type="x", sign_in=None), UserinfoContext(grant))
    for ctx in frozen:
        field = dataclasses.fields(ctx)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(ctx, field, None)
    assert UserinfoContext(grant).sign_in_extra() == {"scenario": "cancel"}
    assert TokenContext(client_id=None, grant_type="authorization_code", sign_in={"scenario": "slow"}).sign_in_extra() \
        == {"scenario": "slow"}
    assert RequestContext(endpoint=None, path="/nowhere").sign_in_extra() is None
    assert RequestContext(endpoint="jwks.jwks", path="/x").blueprint == "jwks"


def test_a_scenario_reading_another_points_context_says_so(app) -> None:
    engine = app.extensions[ENGINE_KEY]
    definition = Definition(name="reads-claims", summary="x", apply=lambda call: None, points=("request",))
    call = Call(RequestContext(endpoint="token.token", path="/t"), Active(definition, {}, "server"), engine)
    assert call.point == "request"
    assert call.context(RequestContext).blueprint == "token"
    with pytest.raises(TypeError, match="reads-claims expects IdTokenClaimsContext at id_token_claims, not "
                                        "RequestContext at request"):
        call.context(IdTokenClaimsContext)


def test_what_a_hook_changes_is_what_the_endpoint_sends(app, client) -> None:
    """A scenario at ``discovery`` replaces the document: the endpoint sends the context's, not its own."""

    def apply(call: Call) -> None:
        ctx = call.context(DiscoveryContext)
        ctx.document = {**ctx.document, "x_hooked": call.params["value"]}

    engine = app.extensions[ENGINE_KEY]
    engine.definitions["hooked-discovery"] = Definition(
        name="hooked-discovery", summary="adds x_hooked", apply=apply, points=("discovery",), params={"value": "v"},
    )
    assert "x_hooked" not in client.get(DISCOVERY).get_json()
    assert client.put("/_mock/scenario", json={"scenario": "hooked-discovery", "value": "yes"}).status_code == 200
    assert client.get(DISCOVERY).get_json()["x_hooked"] == "yes"

"""Rehearsals of identity changes BankID warns about (not failures: the sign-in succeeds).

``sub-changes``: BankID documents ``sub`` as "considered unstable identifier and might suddenly
change" and tells relying parties to use ``bankid_altsub`` ("Use this as a stable user
identifier"). This scenario signs the same person in with a new ``sub``; ``bankid_altsub`` and the
number (``nnin_altsub``, ``pid``) stay, so a relying party that keys its users on ``sub`` creates a
second account, and one that keys them on ``bankid_altsub`` finds the same user.
"""

from __future__ import annotations

import uuid

from mock_bankid.oidc import codes, sessions
from mock_bankid.oidc.hooks import AuthorizeRedirectContext
from mock_bankid.scenarios.definitions import Call, scenario

SUB_NAMESPACE = uuid.UUID("6f1c5c52-3b7e-4d8e-9a61-7d0f0b4a2c11")
"""Fixed, so the n-th changed sub of a person is the same in every run (reproducible tests)."""


def changed_sub(sub: str, generation: int) -> str:
    """The ``generation``-th new sub of the person whose usual sub is ``sub`` (a UUID, as Keycloak's)."""
    return str(uuid.uuid5(SUB_NAMESPACE, f"{sub}#{generation}"))


@scenario(
    name="sub-changes", kind="rehearsal", group="session",
    summary_nb=("Samme person logger inn med ny sub (bankid_altsub og nummeret består): "
                "BankIDs «sub kan plutselig endres»"),
    summary=("The same person signs in with a new sub (bankid_altsub and the number stay): "
             "BankID's 'sub might suddenly change'"),
    points=("authorize_redirect",), sign_in_points=("authorize_redirect",),
    params={"generation": 1}, limits={"generation": (1, 1_000_000)},
    providers=("bankid",),  # BankID's own warning about its sub; Vipps's sub is pairwise, not this
)
def sub_changes(call: Call) -> None:
    """Change the person's ``sub`` in the sign-in behind the code (and in its session) before the
    browser takes the code back, so the ID token, access and refresh tokens, userinfo and
    introspection all agree on the new one."""
    ctx = call.context(AuthorizeRedirectContext)
    params = ctx.params
    if "code" not in params or not call.consume():
        return None
    p, grant = call.provider, ctx.grant
    grant.persona = {**grant.persona, "sub": changed_sub(grant.persona["sub"], int(call.params["generation"]))}
    codes.replace_grant(p, params["code"], grant)
    session = sessions.get(p, grant.sid)
    if session is not None:
        sessions.start(p, grant.sid, persona=grant.persona, auth_time=session["auth_time"], acr=session["acr"],
                       amr=session["amr"], expires_at=int(session["expires_at"]))
    return None

"""``mock-bankid token``: mint a signed ID token and access token for unit tests, no browser needed."""

from __future__ import annotations

import json

import click

from mock_bankid.cli._common import one_line_errors, other_issuer


def register(group: click.Group) -> None:
    @group.command("token")
    @click.option("--persona", required=True, help="Who: a persona id, a number, nnin:<number> or a recipe (age:17).")
    @click.option("--provider", "provider_name", type=click.Choice(["bankid", "vipps"]), default="bankid",
                  show_default=True, help="Whose tokens: BankID's, or Vipps Login's (its issuer, keys and claims).")
    @click.option("--client", "client_id", default=None,
                  help="The client the tokens are for (default: ci; with --provider vipps, ci-vipps).")
    @click.option("--scope", default=None,
                  help="Space-separated scopes (default: openid profile nnin_altsub; with --provider vipps, "
                       "openid name email phoneNumber address birthDate nin). Add offline_access for a refresh "
                       "token (BankID).")
    @click.option("--nonce", default=None, help="Put this nonce in the ID token.")
    @click.option("--acr-values", default=None, help="urn:bankid:bid (default) or urn:bankid:bis.")
    @click.option("--realm", default=None, metavar="NAME",
                  help="Mint in this realm (its issuer; the server's own by default, MOCK_BANKID_REALM).")
    @click.option("--field", default=None,
                  help="Print only this field of the result (id_token, access_token, refresh_token).")
    @one_line_errors
    def token(persona: str, provider_name: str, client_id: str | None, scope: str | None, nonce: str | None,
              acr_values: str | None, realm: str | None, field: str | None) -> None:
        """Print JSON with id_token, access_token and their decoded claims.

        Signed with the same keys (MOCK_BANKID_KEYS_DIR) and recorded in the same store
        (MOCK_BANKID_STORE / MOCK_BANKID_DATA_DIR) as a server started with the same settings, so
        that server verifies them and serves userinfo for the access token.
        """
        from mock_bankid.bankid.dialect import BANKID
        from mock_bankid.core.settings import Settings
        from mock_bankid.oidc.mint import TEST_DEFAULTS, mint_for_tests
        from mock_bankid.oidc.provider import Provider
        from mock_bankid.scenarios import Scenarios
        from mock_bankid.vipps.dialect import VIPPS

        settings = Settings.from_env()
        if settings.store == "memory":
            raise ValueError("MOCK_BANKID_STORE=memory: tokens would be recorded nowhere a server can see")
        home = Provider.build(settings, BANKID, others={"vipps": VIPPS})
        Scenarios.attach(home)  # a server-wide scenario (a trap, say) shapes these tokens as it would the server's
        assert home.realms is not None
        p = home.realms.of(provider_name, realm)
        default_client, default_scope = TEST_DEFAULTS[provider_name]
        result = mint_for_tests(p, persona, client_id=client_id or default_client, scope=scope or default_scope,
                                nonce=nonce, acr_values=acr_values)
        served = other_issuer(settings)
        if served:
            click.echo(f"warning: the server at {settings.backchannel_issuer_base} has issuer {served}, but these "
                       f"tokens carry {settings.issuer}: it will refuse them. Export MOCK_BANKID_BASE_URL as that "
                       "server's banner says.", err=True)
        if field:
            if field not in result or not isinstance(result[field], str):
                have = ", ".join(k for k, v in result.items() if isinstance(v, str))
                raise ValueError(f"no field {field!r} in the result (have: {have})")
            click.echo(result[field])
        else:
            click.echo(json.dumps(result, indent=2, ensure_ascii=False))

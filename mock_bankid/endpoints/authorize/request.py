"""The authorization request as the endpoint reads it (and stores it while the login page waits)."""

from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from mock_bankid.core.i18n import pick_locale
from mock_bankid.http.web import RESPONSE_MODES
from mock_bankid.oidc.provider import provider

PROMPTS = {"none", "login", "consent", "select_account"}
SINGLE_VALUED = (
    "client_id", "redirect_uri", "response_type", "response_mode", "scope", "state", "nonce",
    "code_challenge", "code_challenge_method", "acr_values", "ui_locales", "prompt", "max_age", "login_hint",
    "id_token_hint", "id_login_hint", "request", "request_uri", "authorization_details",
)


@dataclass
class AuthorizationRequest:
    """The parsed parameters; stored as-is while the login page waits."""

    client_id: str = ""
    redirect_uri: str = ""
    response_type: str = ""
    response_mode: str = "query"
    scope: list[str] = field(default_factory=list)
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    acr_values: str | None = None
    ui_locales: str | None = None
    prompt: list[str] = field(default_factory=list)
    max_age: str | None = None
    login_hint: str | None = None
    id_token_hint: str | None = None
    """``id_token_hint`` or BankID's ``id_login_hint``: an ID token of a live session to sign in with."""
    id_login_hint: bool = False
    """The hint came as BankID's ``id_login_hint`` (the only one BankID reuses a session for)."""
    request_object: str | None = None
    request_uri: str | None = None
    authorization_details: str | None = None
    """RFC 9396, as sent (a JSON array); accepted only in a pushed request, as BankID."""
    pushed: bool = False
    """It came through the PAR endpoint (RFC 9126), authenticated there."""
    signed: bool = False
    """Its parameters came in a verified request object (RFC 9101)."""
    encrypted: bool = False
    """That request object was encrypted to the provider (nobody on the way read it)."""
    duplicated: list[str] = field(default_factory=list)

    @classmethod
    def from_params(cls, params: MultiDict, *, pushed: bool = False, signed: bool = False,
                    encrypted: bool = False) -> AuthorizationRequest:
        first = dict(params.items())  # each name's first value; a plain dict, since a miss in a
        # werkzeug MultiDict raises (and builds) a BadRequestKeyError inside .get()
        get = lambda name: first.get(name) or None  # noqa: E731 - empty equals absent (RFC 6749 §3.1)
        return cls(
            client_id=first.get("client_id", ""),
            redirect_uri=first.get("redirect_uri", ""),
            response_type=first.get("response_type", ""),
            response_mode=first.get("response_mode") or "query",
            scope=(first.get("scope") or "").split(),
            state=get("state"),
            nonce=get("nonce"),
            code_challenge=get("code_challenge"),
            code_challenge_method=get("code_challenge_method"),
            acr_values=get("acr_values"),
            ui_locales=get("ui_locales"),
            prompt=(first.get("prompt") or "").split(),
            max_age=get("max_age"),
            login_hint=get("login_hint"),
            id_token_hint=get("id_login_hint") or get("id_token_hint"),
            id_login_hint=get("id_login_hint") is not None,
            request_object=get("request"),
            request_uri=get("request_uri"),
            authorization_details=get("authorization_details"),
            pushed=pushed,
            signed=signed,
            encrypted=encrypted,
            duplicated=[name for name in SINGLE_VALUED if len(params.getlist(name)) > 1],
        )

    @property
    def locale(self) -> str:
        return pick_locale(self.ui_locales)

    def reply_mode(self) -> str:
        """Where errors go: the requested mode if the provider speaks it, else ``query``."""
        speaks = provider().dialect.response_modes
        return self.response_mode if self.response_mode in RESPONSE_MODES and self.response_mode in speaks else "query"

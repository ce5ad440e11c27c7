"""The tests' relying party: one driver (``driver.py``) over the Flask test client or real HTTP, and
one ID token check (``verify.py``). See docs/e2e-tests.md, "The relying-party driver"."""

from rp.driver import (
    ASSERTION_TYPE,
    CI_JWT_EC,
    CI_JWT_RSA,
    CI_REDIRECT,
    NO_AUTH,
    PATHS,
    REDIRECTS,
    RP,
    SECRETS,
    Authorization,
    ClientAuth,
    FlaskRP,
    HttpRP,
    LoginPage,
    auth_for,
    authorize_params,
    basic,
    client_secret_jwt,
    drop_none,
    form_post_fields,
    pkce_pair,
    private_key_jwt,
    public,
    query_of,
    raw_header,
    secret_post,
)
from rp.verify import (
    ALLOWED_ALGS,
    SIGNING_ALGS,
    AtHashMismatch,
    Discovered,
    PermissionDigestMismatch,
    at_hash_of,
    mock_today,
    permission_digest_of,
    unverified_claims,
    unverified_header,
    verify_id_token,
)

__all__ = [
    "ALLOWED_ALGS", "ASSERTION_TYPE", "CI_JWT_EC", "CI_JWT_RSA", "CI_REDIRECT", "NO_AUTH", "PATHS", "REDIRECTS",
    "RP", "SECRETS", "SIGNING_ALGS", "AtHashMismatch", "Authorization", "ClientAuth", "Discovered", "FlaskRP",
    "PermissionDigestMismatch", "permission_digest_of",
    "HttpRP", "LoginPage", "at_hash_of", "auth_for", "authorize_params", "basic", "client_secret_jwt",
    "drop_none", "form_post_fields", "mock_today", "pkce_pair", "private_key_jwt", "public", "query_of",
    "raw_header", "secret_post", "unverified_claims", "unverified_header", "verify_id_token",
]

"""Authlib (``OAuth2Session``) + joserfc against mock-bankid, for a confidential web client."""

import os
import secrets

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

ISSUER = os.environ.get("BANKID_ISSUER", "http://localhost:8080/auth/realms/current")
REDIRECT_URI = "http://localhost:3000/api/auth/bankid/callback"
CLIENT_ID, CLIENT_SECRET = "drop-web", "drop-web-secret"


def discover() -> dict:
    return requests.get(f"{ISSUER}/.well-known/openid-configuration", timeout=10).json()


def session() -> OAuth2Session:
    # drop-web accepts client_secret_basic (Authlib's default) and client_secret_post.
    return OAuth2Session(CLIENT_ID, CLIENT_SECRET, redirect_uri=REDIRECT_URI, scope="openid profile nnin_altsub",
                         code_challenge_method="S256", token_endpoint_auth_method="client_secret_post")


def start_sign_in(config: dict) -> tuple[str, dict]:
    """GET /api/auth/bankid: keep ``pending`` in the user's session, redirect the browser to the URL."""
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = session().create_authorization_url(config["authorization_endpoint"],
                                                    code_verifier=verifier, nonce=nonce)
    return url, {"state": state, "nonce": nonce, "code_verifier": verifier}


def finish_sign_in(config: dict, callback_url: str, pending: dict) -> dict:
    """GET /api/auth/bankid/callback: Authlib checks state and redeems the code; joserfc checks the ID token."""
    token = session().fetch_token(config["token_endpoint"], authorization_response=callback_url,
                                  state=pending["state"], code_verifier=pending["code_verifier"])
    keys = KeySet.import_key_set(requests.get(config["jwks_uri"], timeout=10).json())
    id_token = jwt.decode(token["id_token"], keys, algorithms=["RS256", "ES256"])  # checks the signature
    JWTClaimsRegistry(iss={"essential": True, "value": config["issuer"]}, aud={"essential": True, "value": CLIENT_ID},
                      exp={"essential": True}, nonce={"essential": True, "value": pending["nonce"]},
                      ).validate(id_token.claims)
    claims = id_token.claims
    # The number: nnin_altsub (BankID's claim; drop-web also gets it as pid).
    return {"name": claims["name"], "nnin": claims["nnin_altsub"], "acr": claims["acr"], "claims": claims}

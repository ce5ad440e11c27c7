"""Authlib (``OAuth2Session``) + joserfc against mock-bankid's Vipps Login, for a confidential web client."""

import os
import secrets

import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jwt import JWTClaimsRegistry

# Vipps's issuer ends in a slash; discovery is {issuer}.well-known/openid-configuration.
ISSUER = os.environ.get("VIPPS_ISSUER", "http://localhost:8080/access-management-1.0/access/")
REDIRECT_URI = "http://localhost:3000/api/auth/vipps/callback"
CLIENT_ID, CLIENT_SECRET = "drop-web-vipps", "drop-web-vipps-secret"


def discover() -> dict:
    return requests.get(f"{ISSUER}.well-known/openid-configuration", timeout=10).json()


def session() -> OAuth2Session:
    # client_secret_basic: Authlib's default and Vipps's. nin only for a client Vipps allowed it.
    return OAuth2Session(CLIENT_ID, CLIENT_SECRET, redirect_uri=REDIRECT_URI,
                         scope="openid name email phoneNumber birthDate nin", code_challenge_method="S256")


def start_sign_in(config: dict) -> tuple[str, dict]:
    """GET /api/auth/vipps: keep ``pending`` in the user's session, redirect the browser to the URL."""
    verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
    url, state = session().create_authorization_url(config["authorization_endpoint"],
                                                    code_verifier=verifier, nonce=nonce)  # state: 30 characters
    return url, {"state": state, "nonce": nonce, "code_verifier": verifier}


def finish_sign_in(config: dict, callback_url: str, pending: dict) -> dict:
    """GET /api/auth/vipps/callback: Authlib checks state and redeems the code; joserfc checks the ID
    token; the person is in userinfo (Vipps's ID token has only a pairwise ``sub``)."""
    token = session().fetch_token(config["token_endpoint"], authorization_response=callback_url,
                                  state=pending["state"], code_verifier=pending["code_verifier"])
    keys = KeySet.import_key_set(requests.get(config["jwks_uri"], timeout=10).json())
    id_token = jwt.decode(token["id_token"], keys, algorithms=["RS256"])  # checks the signature
    JWTClaimsRegistry(iss={"essential": True, "value": config["issuer"]}, aud={"essential": True, "value": CLIENT_ID},
                      exp={"essential": True}, nonce={"essential": True, "value": pending["nonce"]},
                      ).validate(id_token.claims)  # aud is an array at Vipps: joserfc looks for CLIENT_ID in it
    claims = id_token.claims
    response = requests.get(config["userinfo_endpoint"], timeout=10,
                            headers={"Authorization": f"Bearer {token['access_token']}"})
    response.raise_for_status()
    userinfo = response.json()
    if userinfo.get("sub") != claims["sub"]:
        raise ValueError("userinfo is about someone else than the ID token")
    # The number: nin, only for a client Vipps allowed it (absent otherwise).
    return {"sub": claims["sub"], "name": userinfo["name"], "nin": userinfo.get("nin"),
            "phone_number": userinfo.get("phone_number"), "birthdate": userinfo.get("birthdate"),
            "claims": claims, "userinfo": userinfo}

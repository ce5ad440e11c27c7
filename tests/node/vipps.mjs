// openid-client 6 against mock-bankid's Vipps Login, for a confidential web client (the Drop BFF's fallback).
import * as client from "openid-client";

// Vipps's issuer ends in a slash, and openid-client compares it exactly: keep the slash.
const ISSUER = process.env.VIPPS_ISSUER ?? "http://localhost:8080/access-management-1.0/access/";
const REDIRECT_URI = "http://localhost:3000/api/auth/vipps/callback";

export async function vippsConfig(clientId = "drop-web-vipps", clientSecret = "drop-web-vipps-secret") {
  // client_secret_basic is Vipps's default (client_secret_post only when configured for the client).
  // Over plain http openid-client 6 needs allowInsecureRequests; it checks the ID token's
  // signature only with enableNonRepudiationChecks.
  return client.discovery(new URL(ISSUER), clientId, undefined, client.ClientSecretBasic(clientSecret), {
    execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
  });
}

// Vipps's scope names. nin (the national identity number) only for a client Vipps allowed it: a
// client without that permission must leave it out (Vipps answers invalid_scope).
export const SCOPE = "openid name email phoneNumber birthDate nin";

// GET /api/auth/vipps: keep `checks` in the user's session, redirect the browser to `url`.
export async function startSignIn(config, scope = SCOPE) {
  const verifier = client.randomPKCECodeVerifier();
  const checks = { pkceCodeVerifier: verifier, expectedState: client.randomState(), expectedNonce: client.randomNonce() };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state: checks.expectedState,  // Vipps wants at least 8 characters; randomState() gives 43
    nonce: checks.expectedNonce,
  });
  return { url: url.href, checks };
}

// GET /api/auth/vipps/callback: state, PKCE, the ID token and its nonce; then userinfo, where
// everything about the person is: Vipps's ID token carries only a pairwise `sub`.
export async function finishSignIn(config, callbackUrl, checks) {
  const tokens = await client.authorizationCodeGrant(config, new URL(callbackUrl), { ...checks, idTokenExpected: true });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  return {
    sub: claims.sub,  // a UUID per person per client: not a key across clients or providers
    name: userinfo.name,
    nin: userinfo.nin,  // undefined for a client without Vipps's permission for nin
    phone_number: userinfo.phone_number,  // "4712345678": country code, no "+"
    birthdate: userinfo.birthdate,
    claims,
    userinfo,
  };
}

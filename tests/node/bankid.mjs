// openid-client 6 against mock-bankid, for a confidential web client (the Drop BFF).
import * as client from "openid-client";

const ISSUER = process.env.BANKID_ISSUER ?? "http://localhost:8080/auth/realms/current";
const REDIRECT_URI = "http://localhost:3000/api/auth/bankid/callback";

export async function bankidConfig() {
  // A secret given as a string is sent as client_secret_post; drop-web accepts Basic and POST.
  // Over plain http openid-client 6 needs allowInsecureRequests; it checks the ID token's
  // signature only with enableNonRepudiationChecks.
  return client.discovery(new URL(ISSUER), "drop-web", "drop-web-secret", undefined, {
    execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
  });
}

// GET /api/auth/bankid: keep `checks` in the user's session, redirect the browser to `url`.
export async function startSignIn(config) {
  const verifier = client.randomPKCECodeVerifier();
  const checks = { pkceCodeVerifier: verifier, expectedState: client.randomState(), expectedNonce: client.randomNonce() };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: "openid profile nnin_altsub",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state: checks.expectedState,
    nonce: checks.expectedNonce,  // BankID requires state, nonce and PKCE
  });
  return { url: url.href, checks };
}

// GET /api/auth/bankid/callback: state, iss (RFC 9207), PKCE, the ID token and its nonce.
export async function finishSignIn(config, callbackUrl, checks) {
  const tokens = await client.authorizationCodeGrant(config, new URL(callbackUrl), { ...checks, idTokenExpected: true });
  const claims = tokens.claims();
  return {
    name: claims.name,
    nnin: claims.nnin_altsub,  // BankID's claim; drop-web also gets it as `pid`
    acr: claims.acr,
    claims,
    userinfo: await client.fetchUserInfo(config, tokens.access_token, claims.sub),  // JSON for drop-web
  };
}

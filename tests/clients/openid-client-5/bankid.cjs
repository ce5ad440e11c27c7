// openid-client 5 (CommonJS) against mock-bankid, for a confidential web client (the Drop BFF).
const { Issuer, generators } = require("openid-client");

const ISSUER = process.env.BANKID_ISSUER ?? "http://localhost:8080/auth/realms/current";
const REDIRECT_URI = "http://localhost:3000/api/auth/bankid/callback";

async function bankidClient() {
  const issuer = await Issuer.discover(ISSUER);  // http is fine for v5; the issuer must match exactly
  return new issuer.Client({
    client_id: "drop-web",
    client_secret: "drop-web-secret",  // sent as client_secret_basic, openid-client's default
    redirect_uris: [REDIRECT_URI],
    response_types: ["code"],
  });
}

// GET /api/auth/bankid: keep `checks` in the user's session, redirect the browser to `url`.
function startSignIn(client) {
  const checks = { code_verifier: generators.codeVerifier(), state: generators.state(), nonce: generators.nonce() };
  const url = client.authorizationUrl({
    scope: "openid profile nnin_altsub",
    code_challenge: generators.codeChallenge(checks.code_verifier),
    code_challenge_method: "S256",
    state: checks.state,
    nonce: checks.nonce,  // BankID requires state, nonce and PKCE
  });
  return { url, checks };
}

// GET /api/auth/bankid/callback: openid-client checks state, iss, the ID token's signature
// (against jwks_uri), aud, exp and nonce, and the PKCE verifier goes to the token endpoint.
async function finishSignIn(client, callbackUrl, checks) {
  const tokenSet = await client.callback(REDIRECT_URI, client.callbackParams(callbackUrl), checks);
  const claims = tokenSet.claims();
  return {
    name: claims.name,
    nnin: claims.nnin_altsub,  // BankID's claim; drop-web also gets it as `pid`
    acr: claims.acr,
    claims,
    userinfo: await client.userinfo(tokenSet),  // JSON for drop-web
  };
}

module.exports = { bankidClient, startSignIn, finishSignIn };

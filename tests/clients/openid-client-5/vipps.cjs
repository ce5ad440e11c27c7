// openid-client 5 (CommonJS) against mock-bankid's Vipps Login, for a confidential web client.
const { Issuer, generators } = require("openid-client");

// Vipps's issuer ends in a slash: keep it (discovery is {issuer}.well-known/openid-configuration).
const ISSUER = process.env.VIPPS_ISSUER ?? "http://localhost:8080/access-management-1.0/access/";
const REDIRECT_URI = "http://localhost:3000/api/auth/vipps/callback";

async function vippsClient(clientId = "drop-web-vipps", clientSecret = "drop-web-vipps-secret") {
  const issuer = await Issuer.discover(ISSUER);
  return new issuer.Client({
    client_id: clientId,
    client_secret: clientSecret,  // client_secret_basic: openid-client's default and Vipps's
    redirect_uris: [REDIRECT_URI],
    response_types: ["code"],
  });
}

// GET /api/auth/vipps: keep `checks` in the user's session, redirect the browser to `url`.
function startSignIn(client) {
  const checks = { code_verifier: generators.codeVerifier(), state: generators.state(), nonce: generators.nonce() };
  const url = client.authorizationUrl({
    scope: "openid name email phoneNumber birthDate nin",  // nin only for a client Vipps allowed it
    code_challenge: generators.codeChallenge(checks.code_verifier),
    code_challenge_method: "S256",
    state: checks.state,  // at least 8 characters at Vipps; generators.state() gives 43
    nonce: checks.nonce,
  });
  return { url, checks };
}

// GET /api/auth/vipps/callback: openid-client checks state, the ID token's signature (against
// jwks_uri), aud, exp and nonce; the person is in userinfo (the ID token has only a pairwise sub).
async function finishSignIn(client, callbackUrl, checks) {
  const tokenSet = await client.callback(REDIRECT_URI, client.callbackParams(callbackUrl), checks);
  const claims = tokenSet.claims();
  const userinfo = await client.userinfo(tokenSet);  // openid-client checks its sub against the ID token's
  return {
    sub: claims.sub,
    name: userinfo.name,
    nin: userinfo.nin,  // undefined for a client without Vipps's permission for nin
    phone_number: userinfo.phone_number,  // "4712345678": country code, no "+"
    birthdate: userinfo.birthdate,
    claims,
    userinfo,
  };
}

module.exports = { vippsClient, startSignIn, finishSignIn };

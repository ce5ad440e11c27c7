// One authorization code flow against mock-bankid served over HTTPS, by openid-client 6 WITHOUT
// allowInsecureRequests: the only way it can reach the mock is by trusting the mock's local CA,
// which the test passes as NODE_EXTRA_CA_CERTS (the file `mock-bankid serve --tls` prints).
// The ID token's signature is checked against jwks_uri (enableNonRepudiationChecks).
//
// Usage: NODE_EXTRA_CA_CERTS=<ca.pem> node tls_flow.mjs '<json>' with issuer, client_id,
// client_secret, redirect_uri, scope, login_hint.
// Prints one JSON object: {ok: true, claims, userinfo, ...} or {ok: false, error: {...}}.
import * as client from 'openid-client';

const args = JSON.parse(process.argv[2]);

try {
  const config = await client.discovery(new URL(args.issuer), args.client_id, {},
    client.ClientSecretBasic(args.client_secret), { execute: [client.enableNonRepudiationChecks] });
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: args.redirect_uri,
    scope: args.scope ?? 'openid profile nnin_altsub',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    login_hint: args.login_hint ?? 'adult',
  });
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (response.status !== 302 || !location) {
    throw new Error(`authorize answered ${response.status} without a redirect`);
  }
  const tokens = await client.authorizationCodeGrant(config, new URL(location), {
    pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
  });
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  console.log(JSON.stringify({ ok: true, authorization_url: url.href, claims, userinfo }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: {
    name: err?.name, code: err?.code, message: err?.message, cause: err?.cause?.message ?? err?.cause?.code,
  } }));
}

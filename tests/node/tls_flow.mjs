// One authorization code flow against mock-bankid served over HTTPS, by openid-client 6 WITHOUT
// allowInsecureRequests: the only way it can reach the mock is by trusting the mock's local CA,
// which the test passes as NODE_EXTRA_CA_CERTS (the file `mock-bankid serve --tls` prints).
// The ID token's signature is checked against jwks_uri (enableNonRepudiationChecks).
//
// Usage: NODE_EXTRA_CA_CERTS=<ca.pem> node tls_flow.mjs '<json>' with issuer, client_id,
// client_secret, redirect_uri, scope, login_hint.
// Prints one JSON object: {ok: true, claims, userinfo, ...} or {ok: false, error: {...}}.
import * as client from 'openid-client';
import { authorize } from './headless.mjs';

const args = JSON.parse(process.argv[2]);

try {
  const config = await client.discovery(new URL(args.issuer), args.client_id, {},
    client.ClientSecretBasic(args.client_secret), { execute: [client.enableNonRepudiationChecks] });
  const { url, callbackUrl, checks } = await authorize(config, {
    redirectUri: args.redirect_uri, scope: args.scope, loginHint: args.login_hint ?? 'adult',
  });
  const tokens = await client.authorizationCodeGrant(config, callbackUrl, checks);
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  console.log(JSON.stringify({ ok: true, authorization_url: url.href, claims, userinfo }));
} catch (err) {
  console.log(JSON.stringify({ ok: false, error: {
    name: err?.name, code: err?.code, message: err?.message, cause: err?.cause?.message ?? err?.cause?.code,
  } }));
}

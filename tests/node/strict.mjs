// The strict profile as openid-client 6 sees it against a running mock-bankid: each check is what a
// relying party observes at BankID (docs/fidelity.md). Driven by tests/test_strict_e2e.py.
//
// usage: node strict.mjs '<json>' with issuer, mock_base, redirect_uri. Prints one JSON object.
import * as client from 'openid-client';
import { authorize, signIn } from './headless.mjs';

const args = JSON.parse(process.argv[2]);
const execute = [client.allowInsecureRequests, client.enableNonRepudiationChecks];
const redirectUri = args.redirect_uri;
const config = await client.discovery(new URL(args.issuer), 'bankid-strict',
  { id_token_signed_response_alg: 'ES256' }, client.ClientSecretBasic('bankid-strict-secret'), { execute });

async function queue(body) {
  const r = await fetch(`${args.mock_base}/_mock/next-login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (r.status !== 201) throw new Error(`queue: ${r.status}`);
}

async function errorOf(promise) {
  try {
    await promise;
    return { error: null };
  } catch (e) {
    return { error: e.error ?? e.code ?? e.name, description: e.error_description ?? null, message: e.message };
  }
}

// The callback of an authorize request the mock answers with a redirect, judged by openid-client.
async function callbackError(extra, { persona = null } = {}) {
  if (persona) await queue({ persona });
  const { callbackUrl, checks } = await authorize(config, { redirectUri, loginHint: null, ...extra });
  return errorOf(client.authorizationCodeGrant(config, callbackUrl, checks));
}

const out = {};

// cancel: access_denied with state, and no error_description
await queue({ persona: 'adult', scenario: 'cancel' });
{
  const { callbackUrl, checks } = await authorize(config, { redirectUri, loginHint: null });
  out.cancel = await errorOf(client.authorizationCodeGrant(config, callbackUrl, checks));
}

// prompt=none never signs in silently (no cookie SSO), even right after a sign-in
await queue({ persona: 'adult' });
const tokens = await signIn(config, { redirectUri, loginHint: null, scope: 'openid profile nnin_altsub offline_access' });
out.prompt_none = await (async () => {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: 'openid', state, nonce: client.randomNonce(), prompt: 'none',
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  const response = await fetch(url, { redirect: 'manual' });
  return errorOf(client.authorizationCodeGrant(config, new URL(response.headers.get('location')),
    { pkceCodeVerifier: verifier, expectedState: state }));
})();

// a mock-only login_hint is refused through the redirect
out.persona_hint = await callbackError({ loginHint: 'adult' });

// a request object (JAR, RFC 9101) signed with a key the client never registered is refused, not ignored
out.request_object = await (async () => {
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = await client.buildAuthorizationUrlWithJAR(config, {
    redirect_uri: redirectUri, scope: 'openid', state, nonce: client.randomNonce(),
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' },
    { key: pair.privateKey });
  // openid-client moves redirect_uri into the object, so the mock cannot redirect: an error page
  const response = await fetch(url, { redirect: 'manual' });
  return { status: response.status, location: response.headers.get('location'),
    refused: (await response.text()).includes('invalid_request_object') };
})();

// the refresh token is a JWT of typ Refresh; openid-client refreshes with it as with any token
const refreshHeader = JSON.parse(Buffer.from(tokens.refresh_token.split('.')[1], 'base64url').toString());
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
out.refresh = { typ: refreshHeader.typ, rotated: refreshed.refresh_token !== tokens.refresh_token,
  sub_same: refreshed.claims().sub === tokens.claims().sub };

// introspection: bid_access_token is the hint BankID wants; refresh tokens are not introspected
out.introspection = {
  with_hint: await client.tokenIntrospection(config, refreshed.access_token, { token_type_hint: 'bid_access_token' }),
  without_hint: await client.tokenIntrospection(config, refreshed.access_token),
  refresh: await client.tokenIntrospection(config, refreshed.refresh_token, { token_type_hint: 'bid_access_token' }),
};
out.id_token = tokens.claims();
console.log(JSON.stringify(out));

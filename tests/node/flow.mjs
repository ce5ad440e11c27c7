// One authorization code flow against a running mock-bankid, done by openid-client 6 (a certified
// relying-party library), so its checks (issuer, iss response parameter, state, nonce, PKCE,
// ID token signature against jwks_uri, signed userinfo) judge the mock rather than our own code.
//
// Usage: node flow.mjs '<json>' where json has issuer, client_id, client_secret (omit for a public
// client), redirect_uri, scope, login_hint, metadata (extra client metadata) and mode:
//   "ok"            the whole flow plus userinfo
//   "state-mismatch" the callback is checked against another state: openid-client must throw
//   "foreign-jwks"  jwks_uri is answered with other keys under the same kids: the signature check must fail
// userinfo: "openid-client" (default: fetchUserInfo) or "jose" (fetch it as a protected resource and
// verify the JWT against jwks_uri with userinfo_issuer and aud = client_id, as a BankID RP must: TINFO's
// iss is not the OIDC issuer, which fetchUserInfo refuses).
// par: push the request first (buildAuthorizationUrlWithPAR); authorization_details: RFC 9396's array.
// Prints one JSON object on stdout: {ok: true, ...} or {ok: false, error: {name, code, message}}.
import * as client from 'openid-client';
// jose is openid-client's own dependency (pinned in package-lock.json); imported for the "jose" userinfo.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { authorize } from './headless.mjs';

const args = JSON.parse(process.argv[2]);
const mode = args.mode ?? 'ok';

async function foreignKey(jwk) {
  // A fresh key pair of the same type, published under the real kid: only a real signature check notices.
  const params = jwk.kty === 'EC'
    ? { name: 'ECDSA', namedCurve: jwk.crv }
    : { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  const pair = await crypto.subtle.generateKey(params, true, ['sign', 'verify']);
  const pub = await crypto.subtle.exportKey('jwk', pair.publicKey);
  return { kty: pub.kty, n: pub.n, e: pub.e, crv: pub.crv, x: pub.x, y: pub.y, kid: jwk.kid, alg: jwk.alg, use: jwk.use };
}

function fail(err) {
  console.log(JSON.stringify({ ok: false, error: {
    name: err?.name, code: err?.code, message: err?.message, cause: err?.cause?.message ?? err?.cause?.code,
    oauth_error: err?.error ?? err?.cause?.error, status: err?.status ?? err?.response?.status,
  } }));
  process.exit(0);
}

try {
  const auth = args.client_secret ? client.ClientSecretBasic(args.client_secret) : client.None();
  const config = await client.discovery(new URL(args.issuer), args.client_id, args.metadata ?? {}, auth, {
    execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
  });
  const jwksUri = config.serverMetadata().jwks_uri;
  if (mode === 'foreign-jwks') {
    config[client.customFetch] = async (url, options) => {
      const response = await fetch(url, options);
      if (String(url) !== jwksUri) return response;
      const real = await response.json();
      const keys = await Promise.all(real.keys.map(foreignKey));
      return new Response(JSON.stringify({ keys }), { status: 200, headers: { 'content-type': 'application/json' } });
    };
  }

  const { url, location, state, nonce, callbackUrl, checks } = await authorize(config, {
    redirectUri: args.redirect_uri, scope: args.scope, loginHint: args.login_hint ?? 'adult',
    par: args.par ?? false, authorizationDetails: args.authorization_details ?? null,
  });
  // No browser: the redirect was read by authorize(); now judge it as a relying party does.
  const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
    ...checks,
    expectedState: mode === 'state-mismatch' ? state + '-not-mine' : state,
  });
  const claims = tokens.claims();
  let userinfo;
  if (args.userinfo === 'jose') {
    const response = await client.fetchProtectedResource(config, tokens.access_token, new URL(config.serverMetadata().userinfo_endpoint), 'GET');
    if (response.headers.get('content-type') !== 'application/jwt') throw new Error(`userinfo is ${response.headers.get('content-type')}`);
    const jwks = createRemoteJWKSet(new URL(jwksUri));
    ({ payload: userinfo } = await jwtVerify(await response.text(), jwks, { issuer: args.userinfo_issuer, audience: args.client_id }));
    if (userinfo.sub !== claims.sub) throw new Error('userinfo sub differs from the ID token sub');
  } else {
    userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  }
  const header = JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url').toString());
  console.log(JSON.stringify({
    ok: true,
    state,
    nonce,
    location,
    url: String(url),
    access_token: tokens.access_token,
    token_type: tokens.token_type,
    expires_in: tokens.expiresIn(),
    id_token_header: header,
    claims,
    userinfo,
  }));
} catch (err) {
  fail(err);
}

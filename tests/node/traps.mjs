// Each trap through openid-client 6 (a certified relying-party library), as a real RP would meet it.
// Usage: node traps.mjs <base-url> <scenario> [<scenario> ...]
// Prints one JSON line per scenario: {"scenario", "accepted": bool, "error": name, "message", "code"}.
import * as client from 'openid-client';

const [base, ...scenarios] = process.argv.slice(2);
const issuer = new URL(`${base}/auth/realms/current`);
const redirectUri = 'http://127.0.0.1:5555/callback';
const config = await client.discovery(issuer, 'ci', 'ci-secret', client.ClientSecretBasic('ci-secret'), {
  execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
});

for (const scenario of scenarios) {
  const queued = await fetch(`${base}/_mock/next-login`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ persona: 'adult', scenario }),
  });
  if (queued.status !== 201) throw new Error(`queue ${scenario}: ${queued.status} ${await queued.text()}`);
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri, scope: 'openid profile nnin_altsub', nonce, state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256',
  });
  const authorized = await fetch(url, { redirect: 'manual' });
  const location = authorized.headers.get('location');
  const result = { scenario };
  try {
    const tokens = await client.authorizationCodeGrant(config, new URL(location), {
      pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true,
    });
    Object.assign(result, { accepted: true });
  } catch (err) {
    const cause = err.cause ?? {};
    Object.assign(result, {
      accepted: false, error: err.name, message: err.message, code: err.code ?? null,
      cause: { name: cause.name ?? null, message: cause.message ?? null, code: cause.code ?? null,
               claim: cause.claim ?? null, reason: cause.reason ?? null },
    });
  }
  console.log(JSON.stringify(result));
}

// Each trap through openid-client 6 (a certified relying-party library), as a real RP would meet it.
// Usage: node traps.mjs <base-url> <scenario> [<scenario> ...]
// Prints one JSON line per scenario: {"scenario", "accepted": bool, "error": name, "message", "code"}.
import * as client from 'openid-client';
import { authorize } from './headless.mjs';

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
  // loginHint null: the queued entry (persona + trap) decides who signs in
  const { callbackUrl, checks } = await authorize(config, { redirectUri, loginHint: null });
  const result = { scenario };
  try {
    await client.authorizationCodeGrant(config, callbackUrl, checks);
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

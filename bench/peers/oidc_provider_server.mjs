// panva/oidc-provider as a benchmark peer: one confidential client with PKCE, dev interactions on.
//   node bench/peers/oidc_provider_server.mjs PORT
// Consent is skipped for the one first-party client (the documented `loadExistingGrant` recipe),
// so a sign-in is: GET /auth -> POST the dev login form -> GET /auth/:uid (code) -> POST /token.
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';

const port = Number(process.argv[2] || 3000);
const peers = process.env.BENCH_PEERS_DIR || path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '.peers');
const require = createRequire(path.join(peers, 'package.json'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-rs256', use: 'sig', alg: 'RS256' };

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: 'ci',
    client_secret: 'ci-secret',
    redirect_uris: ['http://127.0.0.1:5555/callback'],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => true },
  claims: { openid: ['sub'], profile: ['name'] },
  findAccount: (ctx, id) => ({ accountId: id, claims: () => ({ sub: id, name: id }) }),
  async loadExistingGrant(ctx) {
    // First-party client: grant what it asked for instead of showing a consent page.
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid profile');
    await grant.save();
    return grant;
  },
});
provider.listen(port, '127.0.0.1', () => console.error(`oidc-provider listening on ${issuer}`));

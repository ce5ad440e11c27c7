// The Compose recipe from docs/serving.md, done by openid-client 6: the relying party (a BFF in a
// container) fetches discovery from the back-channel address, keeps the issuer the browser knows,
// and the whole flow works with one issuer string.
//
// Usage: node backchannel_flow.mjs '<json>' with discovery_url (back-channel), issuer (browser),
// client_id, client_secret, redirect_uri.
// Prints {ok: true, hosts: {...}, claims} or {ok: false, error}; also whether plain
// client.discovery() at the back-channel address is refused (it must be: issuer mismatch).
import * as client from 'openid-client';
import { signIn } from './headless.mjs';

const args = JSON.parse(process.argv[2]);
const out = {};
try {
  try {
    await client.discovery(new URL(args.discovery_url.replace('/.well-known/openid-configuration', '')),
      args.client_id, args.client_secret, undefined, { execute: [client.allowInsecureRequests] });
    out.naive_discovery = 'accepted';
  } catch (err) {
    out.naive_discovery = err?.code ?? err?.name;
  }
  const metadata = await (await fetch(args.discovery_url)).json();
  if (metadata.issuer !== args.issuer) throw new Error(`discovery issuer ${metadata.issuer} != ${args.issuer}`);
  const config = new client.Configuration(metadata, args.client_id, args.client_secret,
    client.ClientSecretBasic(args.client_secret));
  client.allowInsecureRequests(config);
  client.enableNonRepudiationChecks(config);
  const tokens = await signIn(config, { redirectUri: args.redirect_uri });  // fetch() plays the browser
  const claims = tokens.claims();
  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  const m = config.serverMetadata();
  out.ok = true;
  out.hosts = {
    authorization: new URL(m.authorization_endpoint).host, token: new URL(m.token_endpoint).host,
    jwks: new URL(m.jwks_uri).host, userinfo: new URL(m.userinfo_endpoint).host,
  };
  out.claims = claims;
  out.userinfo_sub = userinfo.sub;
} catch (err) {
  out.ok = false;
  out.error = { name: err?.name, code: err?.code, message: err?.message, cause: err?.cause?.message ?? err?.cause?.code };
}
console.log(JSON.stringify(out));

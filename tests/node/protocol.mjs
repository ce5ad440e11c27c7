// Drives openid-client 6 (a certified relying-party library) through refresh, client credentials,
// introspection, revocation, private_key_jwt / client_secret_jwt and a key rotation against a REAL
// mock-bankid server. Prints one JSON object; tests/test_e2e_protocol.py asserts on it.
//
// usage: node protocol.mjs <issuer>
// env:   KEYS_DIR (the test-only client keys, tests/keys), ROTATE_CMD (JSON argv that rotates the
//        server's RS256 key), MOCK_BASE (the server's base URL)
import { execFileSync } from 'node:child_process'
import { createPrivateKey, webcrypto } from 'node:crypto'
import { readFileSync } from 'node:fs'
import * as client from 'openid-client'
import { signIn } from './headless.mjs'

const issuer = new URL(process.argv[2])
const keysDir = process.env.KEYS_DIR
const mockBase = process.env.MOCK_BASE
const redirectUri = 'http://127.0.0.1:5555/callback'
const execute = [client.allowInsecureRequests, client.enableNonRepudiationChecks]

async function importKey(file, algorithm) {
  const der = createPrivateKey(readFileSync(`${keysDir}/${file}`)).export({ type: 'pkcs8', format: 'der' })
  return webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign'])
}

const rsaKey = {
  key: await importKey('ci-jwt-rs256.pem', { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }),
  kid: 'ch_2JLa-ll8NtWy_U_L0ccXAM0z2pJrQy1AeW7SJxjo',
}
const ecKey = {
  key: await importKey('ci-jwt-es256.pem', { name: 'ECDSA', namedCurve: 'P-256' }),
  kid: 'wRB1MBO29KaMAsfo_KLVMO-SvShDd7vRunzwGKID9Bs',
}

const discover = (clientId, metadata, auth) => client.discovery(issuer, clientId, metadata, auth, { execute })

async function errorOf(promise) {
  try {
    await promise
    return { error: null }
  } catch (e) {
    return { error: e.error ?? e.code ?? e.name, status: e.status ?? null, description: e.error_description ?? e.message }
  }
}

function kidOf(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString()).kid
}

// The authorization code flow without a browser (headless.mjs), asking for a refresh token.
const codeFlow = (config, scope = 'openid profile nnin_altsub offline_access') =>
  signIn(config, { redirectUri, scope })

const out = {}
const jwtClient = await discover('ci-jwt', undefined, client.PrivateKeyJwt(rsaKey))
const ciClient = await discover('ci', 'ci-secret')
out.discovery = {
  grant_types: jwtClient.serverMetadata().grant_types_supported,
  auth_methods: jwtClient.serverMetadata().token_endpoint_auth_methods_supported,
}

// --- refresh with rotation -------------------------------------------------------------------
const first = await codeFlow(jwtClient)
const firstClaims = first.claims()
const second = await client.refreshTokenGrant(jwtClient, first.refresh_token)
const secondClaims = second.claims()
out.refresh = {
  first: { sub: firstClaims.sub, sid: firstClaims.sid, acr: firstClaims.acr, amr: firstClaims.amr, iat: firstClaims.iat, auth_time: firstClaims.auth_time },
  second: { sub: secondClaims.sub, sid: secondClaims.sid, acr: secondClaims.acr, amr: secondClaims.amr, iat: secondClaims.iat, auth_time: secondClaims.auth_time, nonce: secondClaims.nonce ?? null },
  rotated: second.refresh_token !== first.refresh_token,
  refresh_expires_in: second.refresh_expires_in,
  reuse: await errorOf(client.refreshTokenGrant(jwtClient, first.refresh_token)),
  after_reuse: await errorOf(client.refreshTokenGrant(jwtClient, second.refresh_token)),
  userinfo_after_reuse: await errorOf(client.fetchUserInfo(jwtClient, second.access_token, secondClaims.sub)),
}

// --- client credentials (private_key_jwt RS256 and ES256, client_secret_jwt) -------------------
const cc = await client.clientCredentialsGrant(jwtClient, { scope: 'openid' })
const ecClient = await discover('ci-jwt', undefined, client.PrivateKeyJwt(ecKey))
const secretJwtClient = await discover('ci-secret-jwt', undefined, client.ClientSecretJwt('ci-secret-jwt-shared-secret-at-least-32-bytes'))
const ccSecret = await client.clientCredentialsGrant(secretJwtClient)
out.client_credentials = {
  has_id_token: 'id_token' in cc,
  token_type: cc.token_type,
  introspected: await client.tokenIntrospection(jwtClient, cc.access_token),
  es256: (await errorOf(client.clientCredentialsGrant(ecClient))).error,
  client_secret_jwt: (await client.tokenIntrospection(secretJwtClient, ccSecret.access_token)).sub,
}

// --- introspection and revocation ---------------------------------------------------------------
const third = await codeFlow(jwtClient)
out.introspection = {
  own_access: await client.tokenIntrospection(jwtClient, third.access_token),
  own_refresh: await client.tokenIntrospection(jwtClient, third.refresh_token),
  other_client: await client.tokenIntrospection(ciClient, third.access_token),
}
await client.tokenRevocation(jwtClient, third.refresh_token)
out.revocation = {
  refresh_after: await errorOf(client.refreshTokenGrant(jwtClient, third.refresh_token)),
  access_after: (await client.tokenIntrospection(jwtClient, third.access_token)).active,
  unknown_token: await errorOf(client.tokenRevocation(jwtClient, 'never-issued')),
}

// --- misuse of the client assertion ----------------------------------------------------------------
const modified = (change) => discover('ci-jwt', undefined, client.PrivateKeyJwt(rsaKey, { [client.modifyAssertion]: change }))
const jti = `fixed-${Date.now()}`
const fixedJti = await modified((_h, p) => { p.jti = jti })
await client.clientCredentialsGrant(fixedJti)
out.misuse = {
  replayed_jti: await errorOf(client.clientCredentialsGrant(fixedJti)),
  expired: await errorOf(client.clientCredentialsGrant(await modified((_h, p) => { p.exp = p.iat - 120; p.nbf = p.iat - 180; p.iat -= 180 }))),
  wrong_aud: await errorOf(client.clientCredentialsGrant(await modified((_h, p) => { p.aud = 'https://auth.bankid.no/auth/realms/prod' }))),
  long_lived: await errorOf(client.clientCredentialsGrant(await modified((_h, p) => { p.exp = p.iat + 3600 }))),
  wrong_client_refresh: await errorOf(client.refreshTokenGrant(ciClient, (await codeFlow(jwtClient)).refresh_token)),
}

// --- key rotation: the JWKS cached before the rotation verifies what the promoted next key signs ------
// As at BankID, the JWKS holds the next key, so a relying party that cached it (max-age of hours)
// needs no refetch when the mock rotates: count the JWKS fetches to show none happened.
const ciJwksUri = ciClient.serverMetadata().jwks_uri
let jwksFetches = 0
ciClient[client.customFetch] = (url, options) => {
  if (String(url) === ciJwksUri) jwksFetches += 1
  return fetch(url, options)
}
const beforeRotation = await codeFlow(ciClient) // its ID token is verified against the cached JWKS
const beforeKid = kidOf(beforeRotation.id_token)
const fetchesBefore = jwksFetches
const jwksResponse = await fetch(ciJwksUri)
execFileSync(JSON.parse(process.env.ROTATE_CMD)[0], JSON.parse(process.env.ROTATE_CMD).slice(1), { stdio: 'ignore' })
const newKeyToken = await client.refreshTokenGrant(ciClient, beforeRotation.refresh_token) // signature checked
out.rotation = {
  before_kid: beforeKid,
  new_kid: kidOf(newKeyToken.id_token),
  jwks_refetched: jwksFetches - fetchesBefore,
  cache_control: jwksResponse.headers.get('cache-control'),
  new_sub_same: newKeyToken.claims().sub === beforeRotation.claims().sub,
}

console.log(JSON.stringify(out))

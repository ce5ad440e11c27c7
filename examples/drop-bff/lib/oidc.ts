/**
 * The providers' OpenID Connect endpoints, as ADR-007 uses them: discovery (cached), the code
 * exchange with client_secret_basic and exponential backoff on 429, and the ID token verified with
 * `jose` against the JWKS (signature, alg allow-list, iss, aud, exp, iat; nonce and at_hash by
 * hand); userinfo for Vipps, whose ID token carries no number. BankID by default; every function
 * takes the provider (lib/config.ts `bankid()`, `vipps()`) last. Log lines name the provider.
 */
import { createHash } from "node:crypto";
import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload } from "jose";

import { bankid, type Idp } from "./config";
import { defect } from "./defects";
import { ProviderFailure, Refusal } from "./errors";

export const ALLOWED_ALGS = ["RS256", "ES256"]; // what BankID and Vipps sign with; never "none", never HS*
const DISCOVERY_TTL_MS = 60 * 60 * 1000;
const MAX_TOKEN_ATTEMPTS = 4;
const MAX_WAIT_MS = 10_000;

export interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  pushed_authorization_request_endpoint?: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
}

type Cache = { discovery?: Discovery; at?: number; jwks?: ReturnType<typeof createRemoteJWKSet>; jwksUri?: string };
const caches: Record<string, Cache> = ((globalThis as { __idps?: Record<string, Cache> }).__idps ??= {});
const cacheOf = (idp: Idp): Cache => (caches[idp.name] ??= {});

async function call(idp: Idp, url: string, init: RequestInit = {}): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(idp.timeoutMs), cache: "no-store" });
  } catch (error) {
    const name = (error as Error).name;
    if (name === "TimeoutError" || name === "AbortError") {
      console.error(`${idp.label} API timeout: ${new URL(url).pathname} after ${idp.timeoutMs} ms`);
      throw new ProviderFailure(idp.name, "timeout", `no answer from ${new URL(url).pathname}`);
    }
    console.error(`${idp.label} API unreachable: ${new URL(url).pathname}: ${(error as Error).message}`);
    throw new ProviderFailure(idp.name, "unavailable", `cannot reach ${new URL(url).pathname}`);
  }
}

/** The discovery document, cached for an hour (and kept when a refresh fails). */
export async function discover(idp: Idp = bankid()): Promise<Discovery> {
  const cache = cacheOf(idp);
  if (cache.discovery && Date.now() - (cache.at ?? 0) < DISCOVERY_TTL_MS) return cache.discovery;
  try {
    const response = await call(idp, idp.discoveryUrl);
    if (!response.ok) throw new ProviderFailure(idp.name, "unavailable", `discovery answered ${response.status}`);
    const document = (await response.json()) as Discovery;
    if (document.issuer !== idp.issuer) throw new ProviderFailure(idp.name, "unavailable", "discovery names another issuer");
    cache.discovery = document;
    cache.at = Date.now();
    return document;
  } catch (error) {
    if (cache.discovery) return cache.discovery; // stale beats down
    throw error;
  }
}

function jwks(idp: Idp, uri: string) {
  const cache = cacheOf(idp);
  if (!cache.jwks || cache.jwksUri !== uri) {
    cache.jwks = createRemoteJWKSet(new URL(uri), { timeoutDuration: idp.timeoutMs, cacheMaxAge: 10 * 60_000 });
    cache.jwksUri = uri;
  }
  return cache.jwks;
}

export interface TokenSet {
  id_token: string;
  access_token: string;
}

function basicAuth(id: string, secret: string): string {
  // RFC 6749 §2.3.1: form-urlencode each part before base64.
  return "Basic " + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64");
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The code exchange. A 429 waits Retry-After (or 0.5, 1, 2 s, whichever is longer) and tries again. */
export async function exchangeCode(code: string, verifier: string, idp: Idp = bankid()): Promise<TokenSet> {
  const { token_endpoint } = await discover(idp);
  const { clientId, clientSecret, redirectUri } = idp;
  for (let attempt = 1; ; attempt++) {
    const response = await call(idp, token_endpoint, {
      method: "POST",
      headers: { Authorization: basicAuth(clientId, clientSecret), "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: redirectUri, code_verifier: verifier }),
    });
    if (response.status === 429) {
      const retryAfter = Number(response.headers.get("Retry-After")) || 0;
      const wait = Math.max(retryAfter * 1000, 500 * 2 ** (attempt - 1));
      if (defect("no-backoff") || attempt >= MAX_TOKEN_ATTEMPTS || wait > MAX_WAIT_MS) {
        console.error(`${idp.label} rate limit: 429 from the token endpoint (attempt ${attempt}), giving up`);
        throw new ProviderFailure(idp.name, "rate_limited", "the token endpoint kept answering 429", "temporarily_unavailable", retryAfter);
      }
      console.warn(`${idp.label} rate limit: 429 from the token endpoint, retrying in ${wait} ms (attempt ${attempt})`);
      await sleep(wait);
      continue;
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, string>;
    if (response.ok && body.id_token && body.access_token) return body as unknown as TokenSet;
    if (response.status >= 500) {
      console.error(`${idp.label} unavailable: token endpoint answered ${response.status}`);
      throw new ProviderFailure(idp.name, "unavailable", `token endpoint answered ${response.status}`, body.error,
        Number(response.headers.get("Retry-After")) || undefined);
    }
    console.error(`${idp.label} OAuth error: ${body.error || response.status}`);
    throw new ProviderFailure(idp.name, "oauth", body.error_description || `token endpoint answered ${response.status}`, body.error || "invalid_response");
  }
}

function atHash(accessToken: string): string {
  // OIDC Core §3.1.3.6: left half of the SHA-256 of the access token (RS256 and ES256 both hash with SHA-256).
  return createHash("sha256").update(accessToken, "ascii").digest().subarray(0, 16).toString("base64url");
}

function invalid(why: string, idp: Idp = bankid()): Refusal {
  return new Refusal(`id_token_invalid: ${why}`, 403, `${idp.label}'s answer could not be verified. Please try again.`, idp.name);
}

/** Only for the skip-signature defect: the claim checks jose would make, without the signature. */
function checkClaimsUnverified(payload: JWTPayload, issuer: string, audience: string) {
  const now = Math.floor(Date.now() / 1000);
  const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (payload.iss !== issuer) throw invalid("iss");
  if (!aud.includes(audience)) throw invalid("aud");
  if (typeof payload.exp !== "number" || payload.exp <= now - 5) throw invalid("exp");
  if (typeof payload.iat !== "number" || payload.iat > now + 5 || payload.iat < now - 600) throw invalid("iat");
}

export async function verifyIdToken(idToken: string, accessToken: string, nonce: string, idp: Idp = bankid()): Promise<JWTPayload> {
  const discovery = await discover(idp);
  const { clientId } = idp;
  let payload: JWTPayload;
  if (defect("skip-signature")) {
    payload = decodeJwt(idToken); // DEFECT: the signature is never checked
    checkClaimsUnverified(payload, discovery.issuer, clientId);
  } else {
    try {
      ({ payload } = await jwtVerify(idToken, jwks(idp, discovery.jwks_uri), {
        algorithms: ALLOWED_ALGS,
        issuer: discovery.issuer,
        audience: clientId,
        maxTokenAge: "10m", // requires iat, and refuses one in the future
        clockTolerance: 5,
      }));
    } catch (error) {
      if (error instanceof joseErrors.JWKSTimeout) {
        console.error(`${idp.label} API timeout: JWKS`);
        throw new ProviderFailure(idp.name, "timeout", "no answer from the JWKS");
      }
      if (!(error instanceof joseErrors.JOSEError) || /JSON Web Key Set HTTP response/.test((error as Error).message)) {
        console.error(`${idp.label} unavailable: JWKS: ${(error as Error).message}`);
        throw new ProviderFailure(idp.name, "unavailable", "cannot read the JWKS");
      }
      throw invalid((error as joseErrors.JOSEError).code + ": " + (error as Error).message, idp);
    }
  }
  if (!defect("skip-nonce") && payload.nonce !== nonce) throw invalid("nonce", idp);
  if (payload.at_hash !== atHash(accessToken)) throw invalid("at_hash", idp);
  return payload;
}

/**
 * The userinfo endpoint with the access token as Bearer (Vipps: a separate API, named by its
 * discovery document). Its `sub` must be the ID token's (OIDC Core §5.3.2), else it is someone else's.
 */
export async function fetchUserinfo(accessToken: string, sub: string, idp: Idp): Promise<Record<string, unknown>> {
  const { userinfo_endpoint } = await discover(idp);
  if (!userinfo_endpoint) throw new ProviderFailure(idp.name, "unavailable", "discovery lists no userinfo_endpoint");
  const response = await call(idp, userinfo_endpoint, { headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json" } });
  if (response.status >= 500) {
    console.error(`${idp.label} unavailable: userinfo answered ${response.status}`);
    throw new ProviderFailure(idp.name, "unavailable", `userinfo answered ${response.status}`);
  }
  const body = (await response.json().catch(() => null)) as Record<string, unknown> | null;
  if (!response.ok || !body) {
    console.error(`${idp.label} OAuth error: userinfo answered ${response.status}`);
    throw new ProviderFailure(idp.name, "oauth", `userinfo answered ${response.status}`, "invalid_token");
  }
  if (body.sub !== sub) throw invalid("userinfo is for another sub", idp);
  return body;
}

/**
 * A pushed authorization request (RFC 9126) with client_secret_basic: BankID takes
 * authorization_details (a payment to approve) only this way. Returns the authorize URL to send the
 * browser to (client_id and request_uri only).
 */
export async function pushAuthorizationRequest(params: Record<string, string>): Promise<URL> {
  const idp = bankid();
  const discovery = await discover(idp);
  if (!discovery.pushed_authorization_request_endpoint) {
    throw new ProviderFailure(idp.name, "unavailable", "discovery lists no pushed_authorization_request_endpoint");
  }
  const { clientId, clientSecret } = idp;
  const response = await call(idp, discovery.pushed_authorization_request_endpoint, {
    method: "POST",
    headers: { Authorization: basicAuth(clientId, clientSecret), "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: clientId, ...params }),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, string>;
  if (response.status >= 500) throw new ProviderFailure(idp.name, "unavailable", `PAR endpoint answered ${response.status}`);
  if (response.status !== 201 || !body.request_uri) {
    console.error(`BankID OAuth error at PAR: ${body.error || response.status}`);
    throw new ProviderFailure(idp.name, "oauth", body.error_description || `PAR endpoint answered ${response.status}`, body.error || "invalid_response");
  }
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({ client_id: clientId, request_uri: body.request_uri }).toString();
  return url;
}

/** What a start route seals in its state cookie: the state, nonce and PKCE verifier of one sign-in. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
}

/** The authorization request of a code flow with PKCE S256 carrying `pending` (without client_id:
 * the authorize URL and a pushed request add it each their way). */
export function codeFlowParams(pending: PendingSignIn, redirectUri: string, scope: string): Record<string, string> {
  return {
    response_type: "code",
    redirect_uri: redirectUri,
    scope,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: createHash("sha256").update(pending.verifier).digest("base64url"),
    code_challenge_method: "S256",
  };
}

/** BankID's permission_digest: SHA-256 of the permission statement, base64. */
export function permissionDigest(statement: string): string {
  return createHash("sha256").update(statement, "utf8").digest("base64");
}

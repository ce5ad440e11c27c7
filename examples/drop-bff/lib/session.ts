/**
 * Two cookies, both httpOnly and signed (HS256, DROP_SESSION_SECRET):
 * - `bankid_state`: state, nonce and the PKCE verifier of one sign-in, for 10 minutes (BankID's
 *   session), path /api/auth/bankid; the callback consumes it. For the mobile app's sign-in it also
 *   remembers the app's deep link (and the app's own PKCE challenge, if it sent one).
 * - `vipps_state`: the same for a Vipps sign-in (ADR-007 Phase 2), path /api/auth/vipps.
 * - `drop_token`: who is signed in and with which provider (`prv`), a JWT the BFF issues after the
 *   callback. The mobile app gets the same JWT as a Bearer token from POST /api/auth/mobile/exchange.
 */
import { randomBytes } from "node:crypto";

import { jwtVerify, SignJWT } from "jose";

import { config, type ProviderName } from "./config";

export const STATE_COOKIE = "bankid_state";
export const SESSION_COOKIE = "drop_token";
export const STATE_PATH = "/api/auth/bankid";
export const VIPPS_STATE_COOKIE = "vipps_state";
export const VIPPS_STATE_PATH = "/api/auth/vipps";
export const STATE_TTL_S = 600;
export const SESSION_TTL_S = 60 * 60;

/** The mobile app's sign-in: where the result goes (an allow-listed deep link) and its PKCE challenge. */
export interface AppHandOff {
  redirect: string;
  challenge?: string;
}

export interface PendingSignIn {
  state: string;
  nonce: string;
  verifier: string;
  app?: AppHandOff;
  /** A payment approval: base64 SHA-256 of the statement pushed, which the ID token's permission_digest must equal. */
  digest?: string;
}

export const randomToken = (bytes = 32) => randomBytes(bytes).toString("base64url");

export function cookieOptions(maxAge: number, path = "/") {
  return { httpOnly: true, secure: config().secureCookies, sameSite: "lax" as const, path, maxAge };
}

/** `audience` keeps one provider's pending sign-in from being opened as the other's. */
export async function sealPending(pending: PendingSignIn, audience: string = STATE_COOKIE): Promise<string> {
  return new SignJWT({ ...pending }).setProtectedHeader({ alg: "HS256" }).setIssuedAt()
    .setExpirationTime(`${STATE_TTL_S}s`).setAudience(audience).sign(config().sessionSecret);
}

export async function openPending(value: string | undefined, audience: string = STATE_COOKIE): Promise<PendingSignIn | null> {
  if (!value) return null;
  try {
    const { payload } = await jwtVerify(value, config().sessionSecret, { algorithms: ["HS256"], audience });
    const app = payload.app as AppHandOff | undefined;
    return {
      state: String(payload.state), nonce: String(payload.nonce), verifier: String(payload.verifier),
      ...(app && typeof app.redirect === "string" ? { app } : {}),
      ...(typeof payload.digest === "string" ? { digest: payload.digest } : {}),
    };
  } catch {
    return null;
  }
}

export async function issueSession(userId: string, provider: ProviderName): Promise<string> {
  return new SignJWT({ prv: provider }).setProtectedHeader({ alg: "HS256" }).setSubject(userId).setIssuedAt()
    .setExpirationTime(`${SESSION_TTL_S}s`).setAudience("drop").sign(config().sessionSecret);
}

export interface SignedIn {
  userId: string;
  /** Which provider this session's sign-in went through. */
  provider: ProviderName;
}

export async function readSignIn(value: string | undefined): Promise<SignedIn | null> {
  if (!value) return null;
  try {
    const { payload } = await jwtVerify(value, config().sessionSecret, { algorithms: ["HS256"], audience: "drop" });
    if (!payload.sub) return null;
    return { userId: payload.sub, provider: payload.prv === "vipps" ? "vipps" : "bankid" };
  } catch {
    return null;
  }
}

export async function readSession(value: string | undefined): Promise<string | null> {
  return (await readSignIn(value))?.userId ?? null;
}

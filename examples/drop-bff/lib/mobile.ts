/**
 * The mobile app's sign-in, as BankID allows it: BankID only registers confidential clients, and
 * for native apps says "a secure backend server is still needed to initiate the request, store the
 * client credentials, receive callback from BankID OIDC, session management and token exchange".
 *
 * So the app opens `GET /api/auth/bankid?client=mobile&app_redirect=drop://auth/done` in the system
 * browser (ASWebAuthenticationSession / Custom Tabs, never a web view); this BFF runs the same
 * BankID sign-in as for the web, as the same confidential client, and at the end sends the browser
 * to the app's deep link with a one-time code (or `?error=...`). The app trades that code at
 * `POST /api/auth/mobile/exchange` for its session token. The code is random, stored only as its
 * SHA-256, valid for 60 s and for one exchange; if the app sent `app_challenge` (its own PKCE
 * S256 challenge) at the start, the exchange also needs the matching `code_verifier`, so another
 * app that registered the same custom scheme and caught the deep link cannot use the code.
 */
import { createHash, timingSafeEqual } from "node:crypto";

import { config } from "./config";
import { db } from "./db";
import { defect } from "./defects";
import { Refusal } from "./errors";
import { type AppHandOff, randomToken } from "./session";

export const HANDOFF_TTL_S = 60;
const DEFAULT_APP_REDIRECTS = ["drop://auth/done"];
// Expo Go (development only): exp://<LAN address or host>[:port]/--/auth/done
const EXPO_GO = /^exp:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/--\/auth\/done$/;
const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The deep links this BFF hands a sign-in to: `DROP_APP_REDIRECTS` (comma-separated, exact), default
 * `drop://auth/done`; Expo Go's `exp://<host>:<port>/--/auth/done` only with BANKID_MOCK=true or
 * DROP_ALLOW_EXPO_GO=true. Anything else is refused: an open redirect would hand the code to anyone.
 */
export function allowedAppRedirect(value: string | null): string | null {
  if (!value) return null;
  const exact = (process.env.DROP_APP_REDIRECTS || "").split(",").map((s) => s.trim()).filter(Boolean);
  if ((exact.length ? exact : DEFAULT_APP_REDIRECTS).includes(value)) return value;
  const expoGo = process.env.DROP_ALLOW_EXPO_GO ? process.env.DROP_ALLOW_EXPO_GO === "true" : config().mock;
  return expoGo && EXPO_GO.test(value) ? value : null;
}

export function validChallenge(value: string | null): boolean {
  return value !== null && CHALLENGE.test(value);
}

const hash = (value: string) => createHash("sha256").update(value, "utf8").digest("hex");

function table() {
  const conn = db();
  conn.exec(`CREATE TABLE IF NOT EXISTS mobile_handoffs (
      code_hash     TEXT PRIMARY KEY,
      user_id       TEXT NOT NULL,
      app_challenge TEXT,
      expires_at    INTEGER NOT NULL,
      used_at       INTEGER
    )`);
  return conn;
}

/** A one-time code for this user, to be sent to the app's deep link. */
export function createHandOff(userId: string, challenge?: string): string {
  const code = randomToken(32);
  const now = Math.floor(Date.now() / 1000);
  const conn = table();
  conn.prepare("DELETE FROM mobile_handoffs WHERE expires_at < ?").run(now - 3600);
  conn.prepare("INSERT INTO mobile_handoffs (code_hash, user_id, app_challenge, expires_at) VALUES (?, ?, ?, ?)")
    .run(hash(code), userId, challenge ?? null, now + HANDOFF_TTL_S);
  return code;
}

export type Redeemed = { userId: string } | { error: string };

/** Use the code up (whatever happens next) and say whose it was; an unknown, used or expired code is refused. */
export function redeemHandOff(code: string, verifier: string | undefined): Redeemed {
  const now = Math.floor(Date.now() / 1000);
  const row = table()
    .prepare(`UPDATE mobile_handoffs SET used_at = ? WHERE code_hash = ? AND (used_at IS NULL OR ?) AND expires_at >= ?
              RETURNING user_id, app_challenge`)
    // DEFECT reusable-code: a used code works again
    .get(now, hash(code), defect("reusable-code") ? 1 : 0, now) as { user_id: string; app_challenge: string | null } | undefined;
  if (!row) return { error: "the code is unknown, already used or expired" };
  if (row.app_challenge) {
    const computed = verifier ? createHash("sha256").update(verifier, "ascii").digest("base64url") : "";
    const a = Buffer.from(computed), b = Buffer.from(row.app_challenge);
    if (a.length !== b.length || !timingSafeEqual(a, b)) return { error: "code_verifier does not match the app_challenge" };
  }
  return { userId: row.user_id };
}

/** The mobile app's hand-off, or a refusal page: never redirect to a deep link that is not ours. */
export function appHandOff(params: URLSearchParams): AppHandOff | undefined {
  const client = params.get("client");
  if (client === null || client === "web") return undefined;
  if (client !== "mobile") throw new Refusal(`invalid_request: client=${client.slice(0, 20)}`, 400, "Unknown client.");
  const redirect = allowedAppRedirect(params.get("app_redirect"));
  if (!redirect) {
    throw new Refusal("invalid_request: app_redirect is not an allowed deep link", 400,
      "This app is not allowed to sign in here.");
  }
  const challenge = params.get("app_challenge");
  if (challenge !== null && !validChallenge(challenge)) {
    throw new Refusal("invalid_request: app_challenge is not an S256 challenge", 400, "This app sent a malformed request.");
  }
  return { redirect, ...(challenge ? { challenge } : {}) };
}

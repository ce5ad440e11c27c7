/**
 * GET /api/auth/bankid/callback: BankID sends the user back here (ADR-007).
 * state checked and the cookie consumed → code exchanged (Basic auth, backoff on 429) → ID token
 * verified → the number from `pid`, falling back to `nnin_altsub` → validated → age ≥ 18 (Oslo)
 * → user found or created (KYC approved) → `drop_token` cookie → 302 /dashboard.
 * A sign-in the mobile app started (the cookie names its deep link) ends instead with a 302 to that
 * deep link carrying a one-time code (lib/mobile.ts), or `?error=...` where the web shows a page.
 */
import { NextResponse, type NextRequest } from "next/server";

import { config } from "@/lib/config";
import { upsertBankIdUser } from "@/lib/db";
import { defect } from "@/lib/defects";
import { BankIdFailure, Refusal } from "@/lib/errors";
import { appFailure, appRedirectResponse, failurePage } from "@/lib/failure";
import { ageOn, osloToday, parseYMD, validateNnin } from "@/lib/fnr";
import { createHandOff } from "@/lib/mobile";
import { exchangeCode, verifyIdToken } from "@/lib/oidc";
import {
  cookieOptions, issueSession, openPending, type PendingSignIn, SESSION_COOKIE, SESSION_TTL_S, STATE_COOKIE, STATE_PATH,
} from "@/lib/session";

export const dynamic = "force-dynamic";

const MIN_AGE = 18;

async function signIn(request: NextRequest, pending: PendingSignIn | null): Promise<NextResponse> {
  const params = request.nextUrl.searchParams;
  if (!pending) {
    throw new Refusal("invalid_state: no pending sign-in (cookie missing, expired or already used)", 400,
      "This sign-in has expired or was already used. Please start again.");
  }
  if (!defect("skip-state") && params.get("state") !== pending.state) {
    throw new Refusal("invalid_state: the state does not match", 400, "This sign-in could not be verified. Please start again.");
  }
  const error = params.get("error");
  if (error) {
    const description = params.get("error_description");
    console.error(`BankID OAuth error: ${error}${description ? ` (${description})` : ""}`);
    throw new BankIdFailure("oauth", description || error, error);
  }
  const code = params.get("code");
  if (!code) throw new Refusal("invalid_request: no code", 400, "BankID sent no sign-in code. Please start again.");

  const tokens = await exchangeCode(code, pending.verifier);
  const claims = await verifyIdToken(tokens.id_token, tokens.access_token, pending.nonce);
  if (pending.digest !== undefined && !defect("skip-permission-digest") && claims.permission_digest !== pending.digest) {
    // The person approved some statement, not the one we pushed: never act on it.
    throw new Refusal("permission_digest_mismatch: the approval is not for the payment we asked for", 403,
      "The payment approval could not be verified. Nothing was paid; please try again.");
  }

  const nnin = claims.pid ?? claims.nnin_altsub;
  const today = osloToday();
  const number = validateNnin(nnin, today);
  if (!number.valid) {
    throw new Refusal(`invalid_nnin: ${nnin === undefined ? "no pid or nnin_altsub" : number.reason}`, 403,
      "Your national identity number could not be verified, so we cannot open an account.");
  }
  if (!defect("skip-age")) {
    const birth = parseYMD(claims.birthdate) ?? number.birthdate;
    if (!birth) throw new Refusal("underage: no birth date to verify the age", 403, "We could not verify that you are 18 or older.");
    if (ageOn(birth, today) < MIN_AGE) throw new Refusal("underage", 403, "You must be 18 or older to use Drop.");
  }

  const { user, created } = upsertBankIdUser(String(nnin), {
    given_name: claims.given_name as string | undefined,
    family_name: claims.family_name as string | undefined,
    birthdate: claims.birthdate as string | undefined,
  });
  console.info(`BankID sign-in: ${created ? "new" : "returning"} user ${user.id} (kyc ${user.kyc_status}, ${number.kind})` +
    (pending.app ? " for the mobile app" : ""));
  if (pending.app) {
    const target = new URL(pending.app.redirect);
    target.searchParams.set("code", createHandOff(user.id, pending.app.challenge));
    return appRedirectResponse(target.toString());
  }
  const response = NextResponse.redirect(new URL("/dashboard", config().baseUrl), 302);
  response.cookies.set(SESSION_COOKIE, await issueSession(user.id), cookieOptions(SESSION_TTL_S));
  return response;
}

export async function GET(request: NextRequest) {
  const pending = await openPending(request.cookies.get(STATE_COOKIE)?.value);
  let response: NextResponse;
  try {
    response = await signIn(request, pending);
  } catch (error) {
    response = pending?.app ? appFailure(error, pending.app.redirect) : failurePage(error);
  }
  response.cookies.set(STATE_COOKIE, "", { ...cookieOptions(0, STATE_PATH), maxAge: 0 }); // consumed, whatever happened
  return response;
}

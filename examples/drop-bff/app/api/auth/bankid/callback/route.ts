/**
 * GET /api/auth/bankid/callback: BankID sends the user back here (ADR-007).
 * state checked and the cookie consumed → code exchanged (Basic auth, backoff on 429) → ID token
 * verified → the number from `pid`, falling back to `nnin_altsub` → validated → age ≥ 18 (Oslo)
 * → user found or created (KYC approved) → `drop_token` cookie → 302 /dashboard.
 * A sign-in the mobile app started (the cookie names its deep link) ends instead with a 302 to that
 * deep link carrying a one-time code (lib/mobile.ts), or `?error=...` where the web shows a page.
 */
import { type NextResponse, type NextRequest } from "next/server";

import { bankid } from "@/lib/config";
import { defect } from "@/lib/defects";
import { ProviderFailure, Refusal } from "@/lib/errors";
import { appFailure, failurePage } from "@/lib/failure";
import { exchangeCode, verifyIdToken } from "@/lib/oidc";
import { admit, finish, identityFrom } from "@/lib/signin";
import { cookieOptions, openPending, type PendingSignIn, STATE_COOKIE, STATE_PATH } from "@/lib/session";

export const dynamic = "force-dynamic";

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
    throw new ProviderFailure("bankid", "oauth", description || error, error);
  }
  const code = params.get("code");
  if (!code) throw new Refusal("invalid_request: no code", 400, "BankID sent no sign-in code. Please start again.");

  const idp = bankid();
  const tokens = await exchangeCode(code, pending.verifier, idp);
  const claims = await verifyIdToken(tokens.id_token, tokens.access_token, pending.nonce, idp);
  if (pending.digest !== undefined && !defect("skip-permission-digest") && claims.permission_digest !== pending.digest) {
    // The person approved some statement, not the one we pushed: never act on it.
    throw new Refusal("permission_digest_mismatch: the approval is not for the payment we asked for", 403,
      "The payment approval could not be verified. Nothing was paid; please try again.");
  }

  const { user, created, kind } = admit(idp, identityFrom(claims, claims.pid ?? claims.nnin_altsub, "no pid or nnin_altsub"));
  console.info(`BankID sign-in: ${created ? "new" : "returning"} user ${user.id} (kyc ${user.kyc_status}, ${kind})` +
    (pending.app ? " for the mobile app" : ""));
  return finish(idp, user, pending);
}

export async function GET(request: NextRequest) {
  const pending = await openPending(request.cookies.get(STATE_COOKIE)?.value);
  let response: NextResponse;
  try {
    response = await signIn(request, pending);
  } catch (error) {
    response = pending?.app ? appFailure(error, pending.app.redirect) : await failurePage(error);
  }
  response.cookies.set(STATE_COOKIE, "", { ...cookieOptions(0, STATE_PATH), maxAge: 0 }); // consumed, whatever happened
  return response;
}

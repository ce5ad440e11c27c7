/**
 * GET /api/auth/vipps/callback: Vipps Login sends the user back here (ADR-007 Phase 2).
 * state checked and the cookie consumed → code exchanged (Basic auth, backoff on 429) → ID token
 * verified (it carries no number: Vipps's `sub` is a pairwise UUID) → userinfo with the access token:
 * `nin`, `birthdate`, the name → the same rules and the same user as BankID's (lib/signin.ts): the
 * number validated, age ≥ 18, the user found by the SHA-256 of the number → `drop_token` → /dashboard.
 * No `nin` in userinfo (a client without Vipps's nin permission): refused, BankID offered.
 */
import { type NextRequest, type NextResponse } from "next/server";

import { vipps } from "@/lib/config";
import { defect } from "@/lib/defects";
import { ProviderFailure, Refusal } from "@/lib/errors";
import { failurePage } from "@/lib/failure";
import { exchangeCode, fetchUserinfo, verifyIdToken } from "@/lib/oidc";
import { admit, finish, identityFrom } from "@/lib/signin";
import { cookieOptions, openPending, type PendingSignIn, VIPPS_STATE_COOKIE, VIPPS_STATE_PATH } from "@/lib/session";

export const dynamic = "force-dynamic";

async function signIn(request: NextRequest, pending: PendingSignIn | null): Promise<NextResponse> {
  const idp = vipps();
  if (!idp) throw new Refusal("vipps_not_configured", 400, "Signing in with Vipps is not set up here.", "vipps");
  const params = request.nextUrl.searchParams;
  if (!pending) {
    throw new Refusal("invalid_state: no pending sign-in (cookie missing, expired or already used)", 400,
      "This sign-in has expired or was already used. Please start again.", "vipps");
  }
  if (!defect("skip-state") && params.get("state") !== pending.state) {
    throw new Refusal("invalid_state: the state does not match", 400, "This sign-in could not be verified. Please start again.", "vipps");
  }
  const error = params.get("error");
  if (error) {
    const description = params.get("error_description");
    console.error(`Vipps OAuth error: ${error}${description ? ` (${description})` : ""}`);
    throw new ProviderFailure("vipps", "oauth", description || error, error);
  }
  const code = params.get("code");
  if (!code) throw new Refusal("invalid_request: no code", 400, "Vipps sent no sign-in code. Please start again.", "vipps");

  const tokens = await exchangeCode(code, pending.verifier, idp);
  const claims = await verifyIdToken(tokens.id_token, tokens.access_token, pending.nonce, idp);
  const info = await fetchUserinfo(tokens.access_token, String(claims.sub), idp);
  const nin = typeof info.nin === "string" && info.nin ? info.nin : undefined;
  const { user, created, kind } = admit(idp, identityFrom({ ...info, sub: claims.sub }, nin, "no nin in userinfo"));
  console.info(`Vipps sign-in: ${created ? "new" : "returning"} user ${user.id} (kyc ${user.kyc_status}, ${kind}, providers ${user.providers})`);
  return finish(idp, user, pending);
}

export async function GET(request: NextRequest) {
  const pending = await openPending(request.cookies.get(VIPPS_STATE_COOKIE)?.value, VIPPS_STATE_COOKIE);
  let response: NextResponse;
  try {
    response = await signIn(request, pending);
  } catch (error) {
    response = await failurePage(error);
  }
  response.cookies.set(VIPPS_STATE_COOKIE, "", { ...cookieOptions(0, VIPPS_STATE_PATH), maxAge: 0 }); // consumed, whatever happened
  return response;
}

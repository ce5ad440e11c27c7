/**
 * GET /api/auth/vipps: start a Vipps Login sign-in (ADR-007 Phase 2: the fallback when BankID is
 * down, and a choice on the home page). As BankID's: state (Vipps wants at least 8 characters; ours
 * are 43), nonce and PKCE S256 in a signed, httpOnly `vipps_state` cookie (10 min, path
 * /api/auth/vipps); 302 to Vipps's authorize endpoint with the scopes Drop needs, `nin` among them.
 * Web only: the mobile app signs in with BankID.
 */
import { NextResponse } from "next/server";

import { vipps } from "@/lib/config";
import { failurePage } from "@/lib/failure";
import { codeFlowParams, discover } from "@/lib/oidc";
import { page, TRY_BANKID } from "@/lib/pages";
import { cookieOptions, randomToken, sealPending, STATE_TTL_S, VIPPS_STATE_COOKIE, VIPPS_STATE_PATH } from "@/lib/session";

export const dynamic = "force-dynamic";

export async function GET() {
  const idp = vipps();
  if (!idp) {
    return page(404, "Vipps is not offered", "Signing in with Vipps is not set up here. Please sign in with BankID.", {},
      [{ ...TRY_BANKID, label: "Sign in with BankID" }]);
  }
  try {
    const discovery = await discover(idp);
    const pending = { state: randomToken(), nonce: randomToken(), verifier: randomToken(48) };
    const url = new URL(discovery.authorization_endpoint);
    url.search = new URLSearchParams({ client_id: idp.clientId, ...codeFlowParams(pending, idp.redirectUri, idp.scope) })
      .toString();
    const response = NextResponse.redirect(url, 302);
    response.cookies.set(VIPPS_STATE_COOKIE, await sealPending(pending, VIPPS_STATE_COOKIE),
      cookieOptions(STATE_TTL_S, VIPPS_STATE_PATH));
    return response;
  } catch (error) {
    return failurePage(error);
  }
}

/**
 * GET /api/auth/bankid: start a BankID sign-in (state, nonce and PKCE S256 in a signed cookie).
 *
 * The mobile app starts here too, in the system browser:
 * `?client=mobile&app_redirect=drop://auth/done[&app_challenge=<S256 of the app's verifier>]`.
 * Same client, same flow; the cookie also remembers where to hand the result (lib/mobile.ts).
 */
import { NextResponse, type NextRequest } from "next/server";

import { config } from "@/lib/config";
import { appFailure, failurePage } from "@/lib/failure";
import { appHandOff } from "@/lib/mobile";
import { codeFlowParams, discover } from "@/lib/oidc";
import {
  type AppHandOff, cookieOptions, randomToken, sealPending, STATE_COOKIE, STATE_PATH, STATE_TTL_S,
} from "@/lib/session";

export const dynamic = "force-dynamic";

export async function GET(request: NextRequest) {
  let app: AppHandOff | undefined;
  try {
    app = appHandOff(request.nextUrl.searchParams);
    const bankid = await discover();
    const { clientId, redirectUri, scope } = config();
    const pending = { state: randomToken(), nonce: randomToken(), verifier: randomToken(48), ...(app ? { app } : {}) };
    const url = new URL(bankid.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: clientId,
      ...codeFlowParams(pending, redirectUri, scope),
      ui_locales: "nb",
    }).toString();
    const response = NextResponse.redirect(url, 302);
    response.cookies.set(STATE_COOKIE, await sealPending(pending), cookieOptions(STATE_TTL_S, STATE_PATH));
    return response;
  } catch (error) {
    return app ? appFailure(error, app.redirect) : failurePage(error);
  }
}

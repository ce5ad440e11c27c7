/**
 * GET /api/payments/approve: a payment approval with BankID (PAR + authorization_details, payment.v1).
 * The statement is pushed to BankID's PAR endpoint; its SHA-256 travels in the signed state cookie,
 * and the callback refuses an ID token whose permission_digest differs (ADR-007's sign-in rules apply too).
 * A demo statement: a real app builds it from the payment the user asked for. The mobile app may start
 * here too, with the same `?client=mobile&app_redirect=...` as /api/auth/bankid (lib/mobile.ts).
 */
import { NextResponse, type NextRequest } from "next/server";

import { config } from "@/lib/config";
import { appFailure, failurePage } from "@/lib/failure";
import { appHandOff } from "@/lib/mobile";
import { codeFlowParams, permissionDigest, pushAuthorizationRequest } from "@/lib/oidc";
import { type AppHandOff, cookieOptions, randomToken, sealPending, STATE_COOKIE, STATE_PATH, STATE_TTL_S } from "@/lib/session";

export const dynamic = "force-dynamic";

export async function GET(request: NextRequest) {
  let app: AppHandOff | undefined;
  try {
    app = appHandOff(request.nextUrl.searchParams);
    const { redirectUri, scope } = config();
    const statement = JSON.stringify({ type: "payment", amount: { value: "100.00", currency: "NOK" },
      text: "Drop: innskudd til sparekonto", reference: randomToken(8) });
    const pending = { state: randomToken(), nonce: randomToken(), verifier: randomToken(48), digest: permissionDigest(statement),
      ...(app ? { app } : {}) };
    const url = await pushAuthorizationRequest({
      ...codeFlowParams(pending, redirectUri, scope),
      ui_locales: "nb",
      authorization_details: JSON.stringify([
        { type: "payment.v1", permission: Buffer.from(statement, "utf8").toString("base64url") },
      ]),
    });
    const response = NextResponse.redirect(url, 302);
    response.cookies.set(STATE_COOKIE, await sealPending(pending), cookieOptions(STATE_TTL_S, STATE_PATH));
    return response;
  } catch (error) {
    return app ? appFailure(error, app.redirect) : failurePage(error);
  }
}

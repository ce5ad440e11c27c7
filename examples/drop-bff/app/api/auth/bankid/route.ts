/**
 * GET /api/auth/bankid: start a BankID sign-in (state, nonce and PKCE S256 in a signed cookie).
 *
 * The mobile app starts here too, in the system browser:
 * `?client=mobile&app_redirect=drop://auth/done[&app_challenge=<S256 of the app's verifier>]`.
 * Same client, same flow; the cookie also remembers where to hand the result (lib/mobile.ts).
 */
import { createHash } from "node:crypto";

import { NextResponse, type NextRequest } from "next/server";

import { config } from "@/lib/config";
import { Refusal } from "@/lib/errors";
import { appFailure, failurePage } from "@/lib/failure";
import { allowedAppRedirect, validChallenge } from "@/lib/mobile";
import { discover } from "@/lib/oidc";
import {
  type AppHandOff, cookieOptions, randomToken, sealPending, STATE_COOKIE, STATE_PATH, STATE_TTL_S,
} from "@/lib/session";

export const dynamic = "force-dynamic";

/** The mobile app's hand-off, or a refusal page: never redirect to a deep link that is not ours. */
function appHandOff(params: URLSearchParams): AppHandOff | undefined {
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
      response_type: "code",
      redirect_uri: redirectUri,
      scope,
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: createHash("sha256").update(pending.verifier).digest("base64url"),
      code_challenge_method: "S256",
      ui_locales: "nb",
    }).toString();
    const response = NextResponse.redirect(url, 302);
    response.cookies.set(STATE_COOKIE, await sealPending(pending), cookieOptions(STATE_TTL_S, STATE_PATH));
    return response;
  } catch (error) {
    return app ? appFailure(error, app.redirect) : failurePage(error);
  }
}

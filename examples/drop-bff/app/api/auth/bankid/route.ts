/** GET /api/auth/bankid: start a BankID sign-in (state, nonce and PKCE S256 in a signed cookie). */
import { createHash } from "node:crypto";

import { NextResponse } from "next/server";

import { config } from "@/lib/config";
import { failurePage } from "@/lib/failure";
import { discover } from "@/lib/oidc";
import { cookieOptions, randomToken, sealPending, STATE_COOKIE, STATE_PATH, STATE_TTL_S } from "@/lib/session";

export const dynamic = "force-dynamic";

export async function GET() {
  try {
    const bankid = await discover();
    const { clientId, redirectUri, scope } = config();
    const pending = { state: randomToken(), nonce: randomToken(), verifier: randomToken(48) };
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
    return failurePage(error);
  }
}

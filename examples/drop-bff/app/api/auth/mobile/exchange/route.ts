/**
 * POST /api/auth/mobile/exchange: the mobile app trades the one-time code from its deep link for
 * its session token (the same signed JWT the web keeps in `drop_token`), to send as
 * `Authorization: Bearer`. Body: JSON or a form with `code` and, if the app sent `app_challenge`
 * at the start, `code_verifier`. 200 with the token, or 400 `invalid_grant` (unknown, used,
 * expired, or the verifier does not match): the code is used up by the first try either way.
 */
import { NextResponse, type NextRequest } from "next/server";

import { userById } from "@/lib/db";
import { redeemHandOff } from "@/lib/mobile";
import { issueSession, SESSION_TTL_S } from "@/lib/session";

export const dynamic = "force-dynamic";

const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" };

async function body(request: NextRequest): Promise<Record<string, string>> {
  try {
    if ((request.headers.get("content-type") || "").includes("application/json")) {
      const json = (await request.json()) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(json).filter(([, v]) => typeof v === "string")) as Record<string, string>;
    }
    return Object.fromEntries(new URLSearchParams(await request.text()));
  } catch {
    return {};
  }
}

export async function POST(request: NextRequest) {
  const { code, code_verifier: verifier } = await body(request);
  if (!code) {
    return NextResponse.json({ error: "invalid_request", error_description: "code is missing" }, { status: 400, headers: NO_STORE });
  }
  const redeemed = redeemHandOff(code, verifier);
  const user = "userId" in redeemed ? userById(redeemed.userId) : undefined;
  if (!user) {
    console.warn(`Mobile exchange refused: ${"error" in redeemed ? redeemed.error : "no such user"}`);
    return NextResponse.json({ error: "invalid_grant", error_description: "The sign-in code is not valid. Please sign in again." },
      { status: 400, headers: NO_STORE });
  }
  return NextResponse.json({
    access_token: await issueSession(user.id, "bankid"), // the app signs in with BankID only
    token_type: "Bearer",
    expires_in: SESSION_TTL_S,
    user: { id: user.id, given_name: user.given_name, kyc_status: user.kyc_status, kyc_method: user.kyc_method },
  }, { headers: NO_STORE });
}

/**
 * GET /api/me: who is signed in, for the web (`drop_token` cookie) and the app (`Authorization: Bearer`).
 * `user_id` and `auth_provider` ("bankid" | "vipps": how this session signed in) are the drill's
 * whoami contract (`mock-bankid drill --whoami /api/me`, docs/drill.md); 401 without a session.
 */
import { NextResponse, type NextRequest } from "next/server";

import { userById } from "@/lib/db";
import { readSignIn, SESSION_COOKIE } from "@/lib/session";

export const dynamic = "force-dynamic";

export async function GET(request: NextRequest) {
  const bearer = /^Bearer (\S+)$/.exec(request.headers.get("authorization") || "")?.[1];
  const session = await readSignIn(bearer ?? request.cookies.get(SESSION_COOKIE)?.value);
  const user = session ? userById(session.userId) : undefined;
  if (!session || !user) {
    return NextResponse.json({ error: "unauthorized" }, { status: 401, headers: { "WWW-Authenticate": "Bearer" } });
  }
  return NextResponse.json({
    user_id: user.id, auth_provider: session.provider, providers: user.providers.split(","),
    id: user.id, given_name: user.given_name, family_name: user.family_name, birthdate: user.birthdate,
    kyc_status: user.kyc_status, kyc_method: user.kyc_method, kyc_verified_at: user.kyc_verified_at,
  }, { headers: { "Cache-Control": "no-store" } });
}

/** ADR-007 removed password and OTP sign-in: the old endpoints answer 410 Gone and say where to go. */
import { NextResponse } from "next/server";

export function gone(): NextResponse {
  return NextResponse.json(
    { error: "gone", message: "Password and OTP sign-in were removed (ADR-007). Sign in with BankID: GET /api/auth/bankid" },
    { status: 410, headers: { Link: '</api/auth/bankid>; rel="alternate"', "Cache-Control": "no-store" } },
  );
}

import { NextResponse } from "next/server";

import { config } from "@/lib/config";

import { cookieOptions, SESSION_COOKIE } from "@/lib/session";

export async function POST() {
  const response = NextResponse.redirect(new URL("/", config().baseUrl), 303);
  response.cookies.set(SESSION_COOKIE, "", { ...cookieOptions(0), maxAge: 0 });
  return response;
}

/**
 * How a failed sign-in is answered: one decision (status, words, the runbook's log line), then
 * shown as a page (the web) or sent to the app's deep link as `?error=...` (the mobile app).
 */
import { NextResponse } from "next/server";

import { defect } from "./defects";
import { BankIdFailure, Refusal } from "./errors";
import { page } from "./pages";

export interface Failure {
  status: number;
  title: string;
  message: string;
  /** What the app's deep link carries (OAuth 2.0 error codes, RFC 6749 §4.1.2.1). */
  error: "access_denied" | "invalid_request" | "server_error" | "temporarily_unavailable";
  headers?: Record<string, string>;
}

export function describeFailure(error: unknown): Failure {
  if (error instanceof Refusal) {
    console.warn(`BankID callback failed: ${error.reason}`);
    return { status: error.status, title: "Sign-in refused", message: error.userMessage,
      error: error.status === 403 ? "access_denied" : "invalid_request" };
  }
  if (error instanceof BankIdFailure) {
    if (defect("crash-on-error")) throw error; // DEFECT: BankID's failures become a 500
    const headers = error.retryAfter ? { "Retry-After": String(error.retryAfter) } : undefined;
    const unavailable = (message: string): Failure =>
      ({ status: 503, title: "BankID is unavailable", message, error: "temporarily_unavailable", headers });
    switch (error.kind) {
      case "timeout":
      case "unavailable":
      case "rate_limited":
        return unavailable("BankID is not answering right now. Please try again in a few minutes.");
      case "oauth":
        if (error.oauthError === "invalid_client" || error.oauthError === "unauthorized_client") {
          // A configuration fault (a rotated secret): alert on this log line, do not retry.
          return { status: 502, title: "Sign-in is unavailable", error: "server_error",
            message: "Signing in with BankID does not work at the moment. We are on it." };
        }
        if (error.oauthError === "server_error" || error.oauthError === "temporarily_unavailable") {
          return unavailable("BankID could not complete the sign-in. Please try again later.");
        }
        if (error.oauthError === "access_denied") {
          return { status: 400, title: "Sign-in cancelled", error: "access_denied",
            message: "The BankID sign-in was cancelled or did not complete. You can try again." };
        }
        return { status: 400, title: "Sign-in failed", error: "invalid_request",
          message: "The BankID sign-in could not be completed. Please start again." };
    }
  }
  throw error; // a bug: let Next.js answer 500 and log the stack
}

export function failurePage(error: unknown): NextResponse {
  const failure = describeFailure(error);
  return page(failure.status, failure.title, failure.message, failure.headers);
}

/** The mobile app's failure: back to its deep link with `error` and a sentence it may show. */
export function appFailure(error: unknown, appRedirect: string): NextResponse {
  const failure = describeFailure(error);
  const target = new URL(appRedirect);
  target.searchParams.set("error", failure.error);
  target.searchParams.set("error_description", failure.message);
  return appRedirectResponse(target.toString());
}

/**
 * A 302 to the app's deep link (drop://..., exp://...). Built by hand: `NextResponse.redirect`
 * wants an http(s) URL; no-store because a one-time code must never be cached.
 */
export function appRedirectResponse(location: string): NextResponse {
  return new NextResponse(null, { status: 302, headers: { Location: location, "Cache-Control": "no-store" } });
}

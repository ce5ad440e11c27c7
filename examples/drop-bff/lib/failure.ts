/**
 * How a failed sign-in is answered: one decision (status, words, the runbook's log line), then
 * shown as a page (the web) or sent to the app's deep link as `?error=...` (the mobile app).
 *
 * Phase 2's fallback: when BankID itself is unavailable (its discovery, token endpoint or JWKS
 * fails: a network error, a 5xx, a timeout, a rate limit that did not clear, or BankID says
 * temporarily_unavailable on the callback), the web page offers "Sign in with Vipps" — if Vipps is
 * configured and its discovery answers ("enable the fallback, if available"). The person chooses;
 * the BFF never switches provider behind their back. The mobile app gets its error as before.
 */
import { NextResponse } from "next/server";

import { type ProviderName, vippsIfConfigured } from "./config";
import { defect } from "./defects";
import { ProviderFailure, Refusal } from "./errors";
import { discover } from "./oidc";
import { type Action, page, TRY_BANKID } from "./pages";

export interface Failure {
  status: number;
  title: string;
  message: string;
  /** What the app's deep link carries (OAuth 2.0 error codes, RFC 6749 §4.1.2.1). */
  error: "access_denied" | "invalid_request" | "server_error" | "temporarily_unavailable";
  headers?: Record<string, string>;
  /** The provider that failed (for the page's "try again" link). */
  provider: ProviderName;
  /** The provider itself is unavailable (a 503): BankID's is when Vipps is offered. */
  unavailable?: boolean;
}

const LABEL: Record<ProviderName, string> = { bankid: "BankID", vipps: "Vipps" };

export const SIGN_IN_WITH_VIPPS: Action = { href: "/api/auth/vipps", label: "Sign in with Vipps instead", testid: "vipps-sign-in" };
const TRY_VIPPS: Action = { href: "/api/auth/vipps", label: "Try again with Vipps", testid: "vipps-sign-in" };

export function describeFailure(error: unknown): Failure {
  if (error instanceof Refusal) {
    console.warn(`${error.provider === "vipps" ? "Vipps" : "BankID"} callback failed: ${error.reason}`);
    return { status: error.status, title: "Sign-in refused", message: error.userMessage, provider: error.provider,
      error: error.status === 403 ? "access_denied" : "invalid_request" };
  }
  if (error instanceof ProviderFailure) {
    if (defect("crash-on-error")) throw error; // DEFECT: the provider's failures become a 500
    const label = LABEL[error.provider];
    const provider = error.provider;
    const headers = error.retryAfter ? { "Retry-After": String(error.retryAfter) } : undefined;
    const unavailable = (message: string): Failure =>
      ({ status: 503, title: `${label} is unavailable`, message, error: "temporarily_unavailable", headers, provider, unavailable: true });
    switch (error.kind) {
      case "timeout":
      case "unavailable":
      case "rate_limited":
        return unavailable(`${label} is not answering right now. Please try again in a few minutes.`);
      case "oauth":
        if (error.oauthError === "invalid_client" || error.oauthError === "unauthorized_client") {
          // A configuration fault (a rotated secret): alert on this log line, do not retry.
          return { status: 502, title: "Sign-in is unavailable", error: "server_error", provider,
            message: `Signing in with ${label} does not work at the moment. We are on it.` };
        }
        if (error.oauthError === "server_error" || error.oauthError === "temporarily_unavailable") {
          return unavailable(`${label} could not complete the sign-in. Please try again later.`);
        }
        if (error.oauthError === "access_denied") {
          return { status: 400, title: "Sign-in cancelled", error: "access_denied", provider,
            message: `The ${label} sign-in was cancelled or did not complete. You can try again.` };
        }
        return { status: 400, title: "Sign-in failed", error: "invalid_request", provider,
          message: `The ${label} sign-in could not be completed. Please start again.` };
    }
  }
  throw error; // a bug: let Next.js answer 500 and log the stack
}

/** Is Vipps there to fall back to? Configured, and its discovery answers (cached an hour, as BankID's). */
async function vippsAvailable(): Promise<boolean> {
  const idp = vippsIfConfigured();
  if (!idp) return false;
  try {
    await discover(idp);
    return true;
  } catch {
    return false;
  }
}

export async function failurePage(error: unknown): Promise<NextResponse> {
  const failure = describeFailure(error);
  let actions: Action[] = [failure.provider === "vipps" ? TRY_VIPPS : TRY_BANKID];
  if (error instanceof Refusal && error.offerBankId) actions = [{ ...TRY_BANKID, label: "Sign in with BankID" }];
  if (failure.provider === "bankid" && failure.unavailable) {
    if (defect("no-fallback")) {
      // DEFECT: BankID is down and Vipps is never offered
    } else if (await vippsAvailable()) {
      console.warn("BankID unavailable: offering the fallback, Vipps");
      actions = [SIGN_IN_WITH_VIPPS, TRY_BANKID];
      failure.message = "BankID is not answering right now. You can sign in with Vipps instead, or try BankID again in a few minutes.";
    }
  }
  return page(failure.status, failure.title, failure.message, failure.headers, actions);
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

/** How a failed sign-in is answered: the page, its status, and the runbook's log line. */
import type { NextResponse } from "next/server";

import { defect } from "./defects";
import { BankIdFailure, Refusal } from "./errors";
import { page } from "./pages";

export function failurePage(error: unknown): NextResponse {
  if (error instanceof Refusal) {
    console.warn(`BankID callback failed: ${error.reason}`);
    return page(error.status, "Sign-in refused", error.userMessage);
  }
  if (error instanceof BankIdFailure) {
    if (defect("crash-on-error")) throw error; // DEFECT: BankID's failures become a 500
    const retry = error.retryAfter ? { "Retry-After": String(error.retryAfter) } : undefined;
    switch (error.kind) {
      case "timeout":
      case "unavailable":
      case "rate_limited":
        return page(503, "BankID is unavailable", "BankID is not answering right now. Please try again in a few minutes.", retry);
      case "oauth":
        if (error.oauthError === "invalid_client" || error.oauthError === "unauthorized_client") {
          // A configuration fault (a rotated secret): alert on this log line, do not retry.
          return page(502, "Sign-in is unavailable", "Signing in with BankID does not work at the moment. We are on it.");
        }
        if (error.oauthError === "server_error" || error.oauthError === "temporarily_unavailable") {
          return page(503, "BankID is unavailable", "BankID could not complete the sign-in. Please try again later.", retry);
        }
        if (error.oauthError === "access_denied") {
          return page(400, "Sign-in cancelled", "The BankID sign-in was cancelled or did not complete. You can try again.");
        }
        return page(400, "Sign-in failed", "The BankID sign-in could not be completed. Please start again.");
    }
  }
  throw error; // a bug: let Next.js answer 500 and log the stack
}

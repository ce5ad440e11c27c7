/**
 * Two kinds of failed sign-in, answered differently:
 * - `Refusal`: the provider worked, but we must not sign this person in (bad state, a forged or
 *   expired ID token, an invalid number, under 18, a Vipps sign-in without the number). A page that
 *   says so; never a 5xx.
 * - `ProviderFailure`: BankID or Vipps itself failed or refused us (an outage, a timeout, a rate
 *   limit that did not clear, invalid_client, error=... on the callback). A friendly page, 503 when
 *   it is worth trying again later; the runbook's log line. A BankID outage offers Vipps (Phase 2).
 */
import type { ProviderName } from "./config";

export class Refusal extends Error {
  constructor(
    readonly reason: string,
    readonly status: 400 | 403,
    readonly userMessage: string,
    readonly provider: ProviderName = "bankid",
    /** The page offers BankID instead (a Vipps sign-in we cannot link: no number). */
    readonly offerBankId = false,
  ) {
    super(reason);
  }
}

export type FailureKind = "timeout" | "unavailable" | "rate_limited" | "oauth";

export class ProviderFailure extends Error {
  constructor(
    readonly provider: ProviderName,
    readonly kind: FailureKind,
    readonly detail: string,
    readonly oauthError?: string,
    readonly retryAfter?: number,
  ) {
    super(`${provider} ${kind}: ${detail}`);
  }
}

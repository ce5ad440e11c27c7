/**
 * Two kinds of failed sign-in, answered differently:
 * - `Refusal`: BankID worked, but we must not sign this person in (bad state, a forged or expired
 *   ID token, an invalid number, under 18). A page that says so; never a 5xx.
 * - `BankIdFailure`: BankID itself failed or refused us (an outage, a timeout, a rate limit that
 *   did not clear, invalid_client, error=... on the callback). A friendly page, 503 when it is
 *   worth trying again later; the runbook's log line.
 */
export class Refusal extends Error {
  constructor(readonly reason: string, readonly status: 400 | 403, readonly userMessage: string) {
    super(reason);
  }
}

export type FailureKind = "timeout" | "unavailable" | "rate_limited" | "oauth";

export class BankIdFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    readonly detail: string,
    readonly oauthError?: string,
    readonly retryAfter?: number,
  ) {
    super(`${kind}: ${detail}`);
  }
}

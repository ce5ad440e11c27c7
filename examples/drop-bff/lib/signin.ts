/**
 * The end of every sign-in, BankID's or Vipps's: the same rules (ADR-007), the same user.
 * The number validated → age ≥ 18 on the Oslo date → the user found or created by the SHA-256 of
 * the number, the provider recorded → the `drop_token` cookie and /dashboard (or, for a sign-in the
 * mobile app started, its deep link with a one-time code).
 *
 * Vipps gives the number only in userinfo, and only to a merchant Vipps allows the `nin` scope.
 * Without it this BFF cannot tell whether the person already has an account, so it refuses the
 * sign-in ("we need your national identity number to link your account") and offers BankID: Drop's
 * policy. A Vipps-only person (no BankID: the ADR's recent immigrant) with `nin` is signed in; the
 * user is created KYC-approved by Vipps.
 */
import { NextResponse } from "next/server";

import { config, type Idp } from "./config";
import { nationalIdHash, subjectKey, upsertUser, type User } from "./db";
import { defect } from "./defects";
import { Refusal } from "./errors";
import { appRedirectResponse } from "./failure";
import { ageOn, osloToday, parseYMD, validateNnin, type YMD } from "./fnr";
import { createHandOff } from "./mobile";
import { cookieOptions, issueSession, type PendingSignIn, SESSION_COOKIE, SESSION_TTL_S } from "./session";

const MIN_AGE = 18;

/** Who the provider says signed in: the number (if it gave one), its `sub`, and the profile. */
export interface Identity {
  nnin: unknown;
  /** Where the number should have come from, for the log line when it did not ("no pid or nnin_altsub"). */
  nninSource: string;
  sub: string;
  given_name?: string;
  family_name?: string;
  birthdate?: string;
}

const text = (v: unknown) => (typeof v === "string" && v ? v : undefined);

export function identityFrom(claims: Record<string, unknown>, nnin: unknown, nninSource: string): Identity {
  return { nnin, nninSource, sub: String(claims.sub ?? ""), given_name: text(claims.given_name),
    family_name: text(claims.family_name), birthdate: text(claims.birthdate) };
}

/** Apply ADR-007's rules and find or create the user; a Refusal when this person may not sign in. */
export function admit(idp: Idp, who: Identity): { user: User; created: boolean; kind: string } {
  const today = osloToday();
  let key: string;
  let kind: string;
  let numberBirth: YMD | null = null;
  if (who.nnin === undefined && idp.name === "vipps" && defect("trust-vipps-without-nin")) {
    key = subjectKey(idp.name, who.sub); // DEFECT: nobody to link by, so a new user per Vipps sub
    kind = "no number";
  } else if (who.nnin === undefined && idp.name === "vipps") {
    throw new Refusal("no_nin: Vipps sent no national identity number (is the client allowed the nin scope?)", 403,
      "We need your national identity number to link your account, and Vipps did not share it. Please sign in with BankID.",
      "vipps", true);
  } else {
    const number = validateNnin(who.nnin, today);
    if (!number.valid) {
      throw new Refusal(`invalid_nnin: ${who.nnin === undefined ? who.nninSource : number.reason}`, 403,
        "Your national identity number could not be verified, so we cannot open an account.", idp.name);
    }
    key = defect("dedupe-by-sub") ? subjectKey(idp.name, who.sub) : nationalIdHash(String(who.nnin));
    kind = number.kind;
    numberBirth = number.birthdate;
  }
  if (!defect("skip-age")) {
    const birth = parseYMD(who.birthdate) ?? numberBirth;
    if (!birth) throw new Refusal("underage: no birth date to verify the age", 403, "We could not verify that you are 18 or older.", idp.name);
    if (ageOn(birth, today) < MIN_AGE) throw new Refusal("underage", 403, "You must be 18 or older to use Drop.", idp.name);
  }
  const { user, created } = upsertUser(key, idp.name, { given_name: who.given_name, family_name: who.family_name, birthdate: who.birthdate });
  return { user, created, kind };
}

/** Signed in: the session cookie and /dashboard, or the app's deep link with a one-time code. */
export async function finish(idp: Idp, user: User, pending: PendingSignIn): Promise<NextResponse> {
  if (pending.app) {
    const target = new URL(pending.app.redirect);
    target.searchParams.set("code", createHandOff(user.id, pending.app.challenge));
    return appRedirectResponse(target.toString());
  }
  const response = NextResponse.redirect(new URL("/dashboard", config().baseUrl), 302);
  response.cookies.set(SESSION_COOKIE, await issueSession(user.id, idp.name), cookieOptions(SESSION_TTL_S));
  return response;
}

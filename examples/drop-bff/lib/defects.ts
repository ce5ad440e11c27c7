/**
 * Deliberate defects, one at a time, for proving that `mock-bankid drill` catches them:
 * `DROP_BFF_DEFECT=<one of DEFECTS below>`
 * (reusable-code breaks only the mobile hand-off: its one-time code can be exchanged again;
 * skip-permission-digest only a payment approval: its permission_digest is not compared).
 * Phase 2 (Vipps): `dedupe-by-sub` finds users by the provider's `sub` instead of the number (the
 * same person becomes a user per provider); `no-fallback` offers no Vipps when BankID is down;
 * `trust-vipps-without-nin` lets a Vipps sign-in without `nin` in and keys that user by `sub`.
 * Never set in a real deployment; the server says so loudly when one is on.
 */
export const DEFECTS = ["skip-age", "skip-nonce", "skip-signature", "skip-state", "no-backoff", "crash-on-error", "reusable-code",
  "skip-permission-digest", "dedupe-by-sub", "no-fallback", "trust-vipps-without-nin"] as const;
export type Defect = (typeof DEFECTS)[number];

let active: Defect | null | undefined;

export function defect(name: Defect): boolean {
  if (active === undefined) {
    const raw = process.env.DROP_BFF_DEFECT || "";
    if (raw && !(DEFECTS as readonly string[]).includes(raw)) {
      throw new Error(`DROP_BFF_DEFECT=${raw} is not one of ${DEFECTS.join(", ")}`);
    }
    active = (raw as Defect) || null;
    if (active) console.warn(`DROP_BFF_DEFECT=${active}: this BFF is broken ON PURPOSE (a drill rehearsal)`);
  }
  return active === name;
}

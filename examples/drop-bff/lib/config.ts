/**
 * Where BankID is and who we are to it. `BANKID_MOCK=true` is the only switch between mock-bankid
 * and the real BankID: it supplies the mock's published development values as defaults. With it
 * unset, every value must come from the environment, and the code path is the same.
 *
 * Read lazily (at request time, not at import) so `next build` needs no secrets.
 */
export interface BankIdConfig {
  mock: boolean;
  baseUrl: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scope: string;
  timeoutMs: number;
  sessionSecret: Uint8Array;
  secureCookies: boolean;
}

const MOCK_DEFAULTS = {
  // mock-bankid's own development values (fixtures/clients.toml in mock-bankid); never real secrets.
  BANKID_ISSUER: "http://localhost:8080/auth/realms/current",
  BANKID_CLIENT_ID: "drop-web",
  BANKID_CLIENT_SECRET: "drop-web-secret",
  // Vipps Login on the same mock (ADR-007 Phase 2: the fallback); the issuer keeps Vipps's trailing slash.
  VIPPS_ISSUER: "http://localhost:8080/access-management-1.0/access/",
  VIPPS_CLIENT_ID: "drop-web-vipps",
  VIPPS_CLIENT_SECRET: "drop-web-vipps-secret",
  DROP_SESSION_SECRET: "mock-only-session-secret-change-me-0123456789",
} as const;

function setting(name: string, mock: boolean, fallback?: string): string {
  const value = process.env[name] || (mock ? (MOCK_DEFAULTS as Record<string, string>)[name] : undefined) || fallback;
  if (!value) {
    throw new Error(`${name} is not set (it is required when BANKID_MOCK is not "true")`);
  }
  return value;
}

let cached: BankIdConfig | undefined;

export function config(): BankIdConfig {
  if (cached) return cached;
  const mock = process.env.BANKID_MOCK === "true";
  const baseUrl = (process.env.DROP_BFF_BASE_URL || "http://localhost:3000").replace(/\/$/, "");
  const secret = setting("DROP_SESSION_SECRET", mock);
  if (!mock && secret.length < 32) throw new Error("DROP_SESSION_SECRET must be at least 32 characters");
  cached = {
    mock,
    baseUrl,
    issuer: setting("BANKID_ISSUER", mock).replace(/\/$/, ""),
    clientId: setting("BANKID_CLIENT_ID", mock),
    clientSecret: setting("BANKID_CLIENT_SECRET", mock),
    redirectUri: setting("BANKID_REDIRECT_URI", mock, `${baseUrl}/api/auth/bankid/callback`),
    scope: "openid profile nnin_altsub",
    timeoutMs: Number(process.env.BANKID_TIMEOUT_MS || 5000),
    sessionSecret: new TextEncoder().encode(secret),
    secureCookies: baseUrl.startsWith("https://"),
  };
  if (mock) console.warn(`BANKID_MOCK=true: signing in against mock-bankid at ${cached.issuer} (NOT BankID)`);
  return cached;
}

export type ProviderName = "bankid" | "vipps";

/** One OpenID provider as lib/oidc.ts talks to it: BankID, or Vipps Login (Phase 2's fallback). */
export interface Idp {
  name: ProviderName;
  /** For people and the runbook's log lines: "BankID", "Vipps". */
  label: string;
  issuer: string;
  discoveryUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  scope: string;
  timeoutMs: number;
}

let bankIdIdp: Idp | undefined;

export function bankid(): Idp {
  if (bankIdIdp) return bankIdIdp;
  const c = config();
  bankIdIdp = {
    name: "bankid", label: "BankID", issuer: c.issuer, discoveryUrl: `${c.issuer}/.well-known/openid-configuration`,
    clientId: c.clientId, clientSecret: c.clientSecret, redirectUri: c.redirectUri, scope: c.scope, timeoutMs: c.timeoutMs,
  };
  return bankIdIdp;
}

/**
 * Vipps Login, or null when it is not configured (outside mock mode VIPPS_CLIENT_ID turns it on;
 * then VIPPS_ISSUER and VIPPS_CLIENT_SECRET are required). Vipps's issuer ends in a slash and its
 * discovery document sits right under it. `nin` is a scope only merchants with Vipps's permission
 * get; without it this BFF cannot link a Vipps user to an account and refuses the sign-in.
 */
let vippsIdp: Idp | null | undefined;

export function vipps(): Idp | null {
  if (vippsIdp !== undefined) return vippsIdp;
  const c = config();
  if (!c.mock && !process.env.VIPPS_CLIENT_ID) return (vippsIdp = null);
  const issuer = setting("VIPPS_ISSUER", c.mock).replace(/\/?$/, "/");
  vippsIdp = {
    name: "vipps", label: "Vipps", issuer, discoveryUrl: `${issuer}.well-known/openid-configuration`,
    clientId: setting("VIPPS_CLIENT_ID", c.mock),
    clientSecret: setting("VIPPS_CLIENT_SECRET", c.mock),
    redirectUri: setting("VIPPS_REDIRECT_URI", c.mock, `${c.baseUrl}/api/auth/vipps/callback`),
    // A client without Vipps's nin permission must leave nin out (Vipps answers invalid_scope): then
    // no Vipps sign-in can be linked, and each is refused (lib/signin.ts).
    scope: process.env.VIPPS_SCOPE || "openid name phoneNumber birthDate nin",
    timeoutMs: Number(process.env.VIPPS_TIMEOUT_MS || c.timeoutMs),
  };
  if (c.mock) console.warn(`BANKID_MOCK=true: Vipps sign-in goes to the mock at ${issuer} (NOT Vipps)`);
  return vippsIdp;
}

/**
 * Vipps for the pages that only offer it (the home page, BankID's outage page): a Vipps setting
 * missing is logged and Vipps is not offered, so it can never break signing in with BankID.
 */
export function vippsIfConfigured(): Idp | null {
  try {
    return vipps();
  } catch (error) {
    console.error(`Vipps is not offered: ${(error as Error).message}`);
    return null;
  }
}

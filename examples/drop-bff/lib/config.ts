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

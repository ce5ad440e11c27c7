/**
 * A typed client for mock-bankid's control surface (`/_mock/...`), bound to one realm.
 *
 * The request and response types come from `src/generated/openapi.ts`, which `npm run build`
 * generates from the repository's `mock_bankid/openapi.json` (the document the server serves at
 * `/_mock/openapi.json`). Every call names its path, method and success status through `call()`,
 * whose types only accept what that document declares: when the server's API drifts from this
 * client, the build fails instead of a test run.
 */
import type { components, paths } from "./generated/openapi.js";

type Schemas = components["schemas"];
export type Persona = Schemas["Persona"];
export type QueueEntry = Schemas["QueueEntry"];
export type Queued = Schemas["Queued"];
export type Clock = Schemas["Clock"];
export type ClockChange = Schemas["ClockChange"];
export type ScenarioState = Schemas["ScenarioState"];
export type ScenarioInfo = Schemas["Catalogue"]["scenarios"][number];
export type RequestLogEntry = Schemas["RequestLog"]["requests"][number];
export type Callback = Schemas["Callback"];
export type OAuthError = Schemas["OAuthError"];
export type TokenResponse = Schemas["TokenResponse"];

/** Who signs in next: exactly one of these, as `POST /_mock/next-login` takes them. */
export type LoginSelector =
  | { persona: string }
  | { nnin: string }
  | { login_hint: string }
  | { selector: string };

/** What `POST /_mock/realms` answers: the realm's name, issuer and discovery URL. */
export type RealmInfo = JsonOf<Operation<"/_mock/realms", "post">, 201>;
/** A realm in use, as `GET /_mock/realms` lists it (`home` marks the default realm). */
export interface RealmInUse {
  realm: string;
  issuer: string;
  home?: boolean;
  [key: string]: unknown;
}

export interface MockBankidOptions {
  /** Where mock-bankid runs; default `MOCK_BANKID_BASE_URL`, else `http://localhost:8080`. */
  baseUrl?: string;
  /** The realm every call acts on; default `current` (the mock's default realm). */
  realm?: string;
  /** Needed only when the mock is bound beyond loopback; default `MOCK_BANKID_CONTROL_TOKEN`. */
  controlToken?: string;
  /** A `fetch` to use instead of the global one (tests, proxies). */
  fetch?: typeof fetch;
}

/** The providers the mock serves: BankID, and Vipps Login beside it (each realm has both). */
export type Provider = "bankid" | "vipps";

/** A realm name the mock accepts: it is a path segment of the issuer. */
export const REALM_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const DEFAULT_REALM = "current";

/** The mock refused a control call; `error` and `errorDescription` are its RFC 6749 error. */
export class MockBankidError extends Error {
  constructor(
    readonly status: number,
    readonly method: string,
    readonly url: string,
    readonly error: string,
    readonly errorDescription?: string,
  ) {
    super(`mock-bankid: ${method} ${url} answered ${status} ${error}${errorDescription ? `: ${errorDescription}` : ""}`);
    this.name = "MockBankidError";
  }
}

// --- types of one operation, read from the generated `paths` --------------------------------
type Method = "get" | "put" | "post" | "delete";
type Operation<P extends keyof paths, M extends Method> = Exclude<paths[P][M], undefined>;
/** The methods `openapi.json` declares for a path (a method it lacks is typed `never` there). */
type MethodOf<P extends keyof paths> = { [M in Method]: [Exclude<paths[P][M], undefined>] extends [never] ? never : M }[Method];
type Responses<O> = O extends { responses: infer R } ? R : never;
type StatusOf<O> = Extract<keyof Responses<O>, number>;
type JsonOf<O, S extends StatusOf<O>> = Responses<O>[S] extends { content: { "application/json": infer J } } ? J : undefined;
type BodyOf<O> = O extends { requestBody?: { content: { "application/json": infer B } } } ? B : never;

/** A scenario for the whole realm with parameters and a limit (`for_seconds`, `count`), as PUT takes it. */
export type ScenarioChange = Exclude<BodyOf<Operation<"/_mock/scenario", "put">>, string>;

/** Who the minted sign-in was for and how: `client_id` (default `ci`), `scope`, `nonce`, `acr_values`. */
export type MintOptions = Omit<NonNullable<BodyOf<Operation<"/_mock/token", "post">>>, "persona">;
/** A token's decoded claims: the registered ones every token has, and the rest as the mock signed them. */
export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  [claim: string]: unknown;
}
/** What `POST /_mock/token` answers: the token endpoint's answer for that sign-in, its tokens'
 * decoded `claims` and a summary of the `persona`. openapi.json leaves `claims` and `persona` open
 * objects, so their fields are typed here by hand (from `mock_bankid/oidc/mint.py`). */
export type Minted = JsonOf<Operation<"/_mock/token", "post">, 200> &
  TokenResponse & {
    claims: { access_token: TokenClaims; id_token?: TokenClaims };
    persona: { id: string; nnin: string; name: string; sub: string };
  };

interface CallOptions<O, S> {
  status: S;
  body?: BodyOf<O>;
  query?: Record<string, string | undefined>;
  /** Values for the path's `{placeholders}`. */
  path?: Record<string, string>;
  /** Add `?realm=` (default true; false for the calls that manage realms). */
  inRealm?: boolean;
}

export class MockBankid {
  readonly baseUrl: string;
  readonly realm: string;
  private readonly controlToken?: string;
  private readonly fetchImpl: typeof fetch;

  constructor(options: MockBankidOptions = {}) {
    const env = typeof process === "undefined" ? {} : process.env;
    this.baseUrl = (options.baseUrl ?? env.MOCK_BANKID_BASE_URL ?? "http://localhost:8080").replace(/\/+$/, "");
    this.realm = options.realm ?? DEFAULT_REALM;
    if (!REALM_NAME.test(this.realm)) {
      throw new Error(`mock-bankid: ${JSON.stringify(this.realm)} is not a realm name ([a-z0-9][a-z0-9-]{0,62})`);
    }
    this.controlToken = options.controlToken ?? env.MOCK_BANKID_CONTROL_TOKEN;
    this.fetchImpl = options.fetch ?? globalThis.fetch;
  }

  /** The realm's issuer: what a relying party is configured with (`BANKID_ISSUER`). */
  get issuer(): string {
    return `${this.baseUrl}/auth/realms/${this.realm}`;
  }

  get discoveryUrl(): string {
    return `${this.issuer}/.well-known/openid-configuration`;
  }

  /** The realm's Vipps Login issuer (`VIPPS_ISSUER`): Vipps's layout, ending in `/`; another realm's
   * Vipps is under `{baseUrl}/vipps/<realm>`. */
  get vippsIssuer(): string {
    const host = this.realm === DEFAULT_REALM ? this.baseUrl : `${this.baseUrl}/vipps/${this.realm}`;
    return `${host}/access-management-1.0/access/`;
  }

  get vippsDiscoveryUrl(): string {
    return `${this.vippsIssuer}.well-known/openid-configuration`;
  }

  /** The same mock, another realm (nothing is sent: a realm is created on first use). */
  withRealm(realm: string): MockBankid {
    return new MockBankid({ baseUrl: this.baseUrl, realm, controlToken: this.controlToken, fetch: this.fetchImpl });
  }

  // --- realms ---------------------------------------------------------------------------------
  /** A new realm (a fresh random name unless `name` is given) and a client bound to it. */
  async createRealm(name?: string): Promise<MockBankid> {
    if (name !== undefined && !REALM_NAME.test(name)) {
      throw new Error(`mock-bankid: ${JSON.stringify(name)} is not a realm name ([a-z0-9][a-z0-9-]{0,62})`);
    }
    const body = name === undefined ? {} : { realm: name };
    const info = await this.call("/_mock/realms", "post", { status: 201, body, inRealm: false });
    return this.withRealm(info.realm);
  }

  /** The realms in use, the default realm first. */
  async realms(): Promise<RealmInUse[]> {
    return (await this.call("/_mock/realms", "get", { status: 200, inRealm: false })).realms as RealmInUse[];
  }

  /** Clear this realm's state: its queue, scenario, clock shift, sessions, codes and request log. */
  async deleteRealm(): Promise<void> {
    await this.call("/_mock/realms/{name}", "delete", { status: 204, inRealm: false, path: { name: this.realm } });
  }

  // --- who signs in ---------------------------------------------------------------------------
  /** Queue who signs in next in this realm (a persona id, or a selector), optionally with a
   * scenario for that one sign-in, at `provider` (default BankID; each provider has its own queue).
   * Each entry is used by exactly one sign-in, oldest first. */
  async queueLogin(who: string | LoginSelector, options: { scenario?: string; provider?: Provider } = {}): Promise<Queued> {
    const selector = typeof who === "string" ? { persona: who } : who;
    return this.call("/_mock/next-login", "post", { status: 201, body: { ...selector, ...options } });
  }

  async queuedLogins(provider?: Provider): Promise<QueueEntry[]> {
    return (await this.call("/_mock/next-login", "get", { status: 200, query: { provider } })).queue;
  }

  async clearQueuedLogins(provider?: Provider): Promise<void> {
    await this.call("/_mock/next-login", "delete", { status: 204, query: { provider } });
  }

  async personas(): Promise<Persona[]> {
    return (await this.call("/_mock/personas", "get", { status: 200 })).personas;
  }

  // --- tokens without a browser ---------------------------------------------------------------
  /** Tokens as if `persona` (default `adult`: an id, a number or a recipe such as `age:17`) had
   * signed in to `options.client_id` (default `ci`; `ci-vipps` with `provider: "vipps"`) in this
   * realm: no browser, no code exchange. The access token works at `{baseUrl}/userinfo` (Vipps's:
   * at its userinfo API); `offline_access` in the scope adds a refresh token. */
  async mint(persona?: string, options: MintOptions = {}): Promise<Minted> {
    const body = persona === undefined ? { ...options } : { persona, ...options };
    return (await this.call("/_mock/token", "post", { status: 200, body })) as Minted;
  }

  // --- scenarios ------------------------------------------------------------------------------
  /** Switch one scenario on for the realm (replacing any other): `"outage"`, or with parameters;
   * for one provider (`{ provider: "bankid" }`: BankID down, Vipps up), else for every provider. */
  async setScenario(scenario: string | ScenarioChange, options: { provider?: Provider } = {}): Promise<ScenarioState> {
    const body = typeof scenario === "string" ? { scenario } : scenario;
    return this.call("/_mock/scenario", "put", { status: 200, body, query: { provider: options.provider } });
  }

  /** What is on: BankID's as `active` and each provider's under `providers`; or one provider's. */
  async scenario(provider?: Provider): Promise<ScenarioState> {
    return this.call("/_mock/scenario", "get", { status: 200, query: { provider } });
  }

  /** Switch the scenario off for `provider`, or for every provider. */
  async clearScenario(provider?: Provider): Promise<void> {
    await this.call("/_mock/scenario", "delete", { status: 204, query: { provider } });
  }

  /** The catalogue: every scenario's name, kind and parameters. */
  async scenarios(): Promise<ScenarioInfo[]> {
    return (await this.call("/_mock/scenarios", "get", { status: 200 })).scenarios;
  }

  // --- the clock ------------------------------------------------------------------------------
  async clock(): Promise<Clock> {
    return this.call("/_mock/clock", "get", { status: 200 });
  }

  /** Move the realm's clock forward (or back, with a negative number) by `seconds`. */
  async advanceClock(seconds: number): Promise<Clock> {
    return this.call("/_mock/clock", "put", { status: 200, body: { advance: seconds } });
  }

  /** Set the realm's clock shift to `seconds` from wall time. */
  async setClockShift(seconds: number): Promise<Clock> {
    return this.call("/_mock/clock", "put", { status: 200, body: { shift: seconds } });
  }

  async resetClock(): Promise<void> {
    await this.call("/_mock/clock", "delete", { status: 204 });
  }

  // --- what clients sent ----------------------------------------------------------------------
  /** The realm's request log, oldest first (secrets redacted); `path` keeps entries containing it. */
  async requests(filter: { path?: string } = {}): Promise<RequestLogEntry[]> {
    return (await this.call("/_mock/requests", "get", { status: 200, query: { path: filter.path } })).requests;
  }

  async clearRequests(): Promise<void> {
    await this.call("/_mock/requests", "delete", { status: 204 });
  }

  /** The callback the `callback-replay` scenario recorded (for delivering it twice). */
  async lastCallback(clientId?: string): Promise<Callback> {
    return this.call("/_mock/last-callback", "get", { status: 200, query: { client_id: clientId } });
  }

  // --- transport ------------------------------------------------------------------------------
  /** One operation of openapi.json: its path, method and success status are checked by tsc. */
  private async call<P extends keyof paths, M extends MethodOf<P>, S extends StatusOf<Operation<P, M>>>(
    path: P,
    method: M,
    options: CallOptions<Operation<P, M>, S>,
  ): Promise<JsonOf<Operation<P, M>, S>> {
    const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(options.path?.[name] ?? ""));
    const { status, body, query, inRealm = true } = options;
    const answer = await this.send(method.toUpperCase(), filled, status, body, inRealm, query);
    return answer as JsonOf<Operation<P, M>, S>;
  }

  private async send(
    method: string,
    path: string,
    status: number,
    body: unknown,
    inRealm: boolean,
    query: Record<string, string | undefined> = {},
  ): Promise<unknown> {
    const url = new URL(this.baseUrl + path);
    if (inRealm) url.searchParams.set("realm", this.realm);
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, value);
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (this.controlToken) headers.Authorization = `Bearer ${this.controlToken}`;
    const response = await this.fetchImpl(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== status) {
      let error = `http_${response.status}`;
      let description: string | undefined = text.slice(0, 200) || undefined;
      try {
        const parsed = JSON.parse(text) as Partial<OAuthError>;
        if (typeof parsed.error === "string") [error, description] = [parsed.error, parsed.error_description];
      } catch {
        // not JSON (a proxy's page, say): keep the start of the text
      }
      throw new MockBankidError(response.status, method, url.toString(), error, description);
    }
    return text ? JSON.parse(text) : undefined;
  }
}

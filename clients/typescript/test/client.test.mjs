// The built client (dist/) against a recorded fetch: what it sends for each call and how it
// reads answers and errors. The real server is exercised by the Playwright suite (e2e/).
import assert from "node:assert/strict";
import { test } from "node:test";

import { MockBankid, MockBankidError } from "../dist/index.js";

/** A fetch that records each request and answers from `answers` in turn. */
function recorder(...answers) {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push({ url: new URL(url), method: init.method, headers: init.headers, body: init.body && JSON.parse(init.body) });
    const [status, body] = answers.shift() ?? [204, undefined];
    return new Response(body === undefined ? null : JSON.stringify(body), { status });
  };
  return { calls, fetch };
}

test("every control call names its realm; the issuer is the realm's", async () => {
  const { calls, fetch } = recorder([201, { queued: { selector: "under-18", scenario: null }, persona: { id: "under-18" } }]);
  const mock = new MockBankid({ baseUrl: "http://127.0.0.1:9/", realm: "team-a", fetch });
  assert.equal(mock.issuer, "http://127.0.0.1:9/auth/realms/team-a");
  assert.equal(mock.discoveryUrl, "http://127.0.0.1:9/auth/realms/team-a/.well-known/openid-configuration");
  const queued = await mock.queueLogin("under-18");
  assert.equal(queued.persona.id, "under-18");
  assert.equal(calls[0].method, "POST");
  assert.equal(calls[0].url.pathname, "/_mock/next-login");
  assert.equal(calls[0].url.searchParams.get("realm"), "team-a");
  assert.deepEqual(calls[0].body, { persona: "under-18" });
});

test("a per-sign-in scenario and other selectors go in the queued entry", async () => {
  const { calls, fetch } = recorder([201, {}], [201, {}]);
  const mock = new MockBankid({ baseUrl: "http://mock", fetch });
  await mock.queueLogin("adult", { scenario: "cancel" });
  await mock.queueLogin({ login_hint: "age:17" });
  assert.deepEqual(calls.map((c) => c.body), [{ persona: "adult", scenario: "cancel" }, { login_hint: "age:17" }]);
  assert.equal(calls[0].url.searchParams.get("realm"), "current");
});

test("scenario on and off, clock moves, request log filtered", async () => {
  const active = { active: { id: "s1", scenario: "outage", params: {}, source: "control" } };
  const { calls, fetch } = recorder(
    [200, active], [204], [200, { now: 1, shift: 60, offset: 0, today: "2026-12-07" }], [200, { now: 1, shift: 5, offset: 0, today: "2026-12-07" }],
    [204], [200, { requests: [{ time: 1, method: "POST", path: "/token", status: 200 }] }],
  );
  const mock = new MockBankid({ baseUrl: "http://mock", realm: "r1", fetch });
  assert.equal((await mock.setScenario({ scenario: "outage", for_seconds: 30 })).active.scenario, "outage");
  await mock.clearScenario();
  assert.equal((await mock.advanceClock(60)).shift, 60);
  await mock.setClockShift(5);
  await mock.resetClock();
  const log = await mock.requests({ path: "/token" });
  assert.equal(log[0].path, "/token");
  assert.deepEqual(
    calls.map((c) => `${c.method} ${c.url.pathname}`),
    ["PUT /_mock/scenario", "DELETE /_mock/scenario", "PUT /_mock/clock", "PUT /_mock/clock", "DELETE /_mock/clock", "GET /_mock/requests"],
  );
  assert.deepEqual(calls[0].body, { scenario: "outage", for_seconds: 30 });
  assert.deepEqual(calls[2].body, { advance: 60 });
  assert.deepEqual(calls[3].body, { shift: 5 });
  assert.equal(calls[5].url.searchParams.get("path"), "/token");
  assert.ok(calls.every((c) => c.url.searchParams.get("realm") === "r1"));
});

test("mint posts the persona and options in the realm and answers the tokens with their claims", async () => {
  const minted = {
    access_token: "at", id_token: "it", token_type: "Bearer", expires_in: 300, scope: "openid nnin",
    claims: { access_token: { iss: "http://mock/auth/realms/r2", sub: "s" }, id_token: { iss: "http://mock/auth/realms/r2", nonce: "n" } },
    persona: { id: "under-18", nnin: "08120850092", name: "Jenny Iversen", sub: "s" },
  };
  const { calls, fetch } = recorder([200, minted], [200, minted]);
  const mock = new MockBankid({ baseUrl: "http://mock", realm: "r2", fetch });
  const tokens = await mock.mint("under-18", { scope: "openid nnin", nonce: "n" });
  assert.equal(tokens.claims.id_token.iss, mock.issuer);
  assert.equal(tokens.persona.id, "under-18");
  await mock.mint(); // the mock's defaults: adult, client ci
  assert.deepEqual(calls.map((c) => `${c.method} ${c.url.pathname}${c.url.search}`), ["POST /_mock/token?realm=r2", "POST /_mock/token?realm=r2"]);
  assert.deepEqual(calls.map((c) => c.body), [{ persona: "under-18", scope: "openid nnin", nonce: "n" }, {}]);
});

test("an unknown persona to mint is the mock's 400", async () => {
  const { fetch } = recorder([400, { error: "invalid_request", error_description: "unknown persona 'nobody'" }]);
  const error = await new MockBankid({ baseUrl: "http://mock", fetch }).mint("nobody", { client_id: "ci" }).catch((e) => e);
  assert.ok(error instanceof MockBankidError);
  assert.equal(error.status, 400);
  assert.equal(error.errorDescription, "unknown persona 'nobody'");
});

test("createRealm posts once and binds a client to the realm the mock named", async () => {
  const info = { realm: "r-7f3a", issuer: "http://mock/auth/realms/r-7f3a", discovery_url: "x" };
  const { calls, fetch } = recorder([201, info], [204]);
  const realm = await new MockBankid({ baseUrl: "http://mock", fetch }).createRealm();
  assert.equal(realm.realm, "r-7f3a");
  assert.equal(realm.issuer, info.issuer);
  assert.deepEqual(calls[0].body, {});
  assert.equal(calls[0].url.search, ""); // realm management is not itself in a realm
  await realm.deleteRealm();
  assert.equal(`${calls[1].method} ${calls[1].url.pathname}`, "DELETE /_mock/realms/r-7f3a");
});

test("a realm name the mock would refuse is refused before sending", async () => {
  const { calls, fetch } = recorder();
  assert.throws(() => new MockBankid({ realm: "Team A", fetch }), /not a realm name/);
  await assert.rejects(new MockBankid({ fetch }).createRealm("-x"), /not a realm name/);
  assert.equal(calls.length, 0);
});

test("the control token goes in a Bearer header", async () => {
  const { calls, fetch } = recorder([204]);
  await new MockBankid({ baseUrl: "http://mock", controlToken: "t0k", fetch }).clearQueuedLogins();
  assert.equal(calls[0].headers.Authorization, "Bearer t0k");
});

test("a refusal is a MockBankidError carrying the mock's OAuth error", async () => {
  const { fetch } = recorder([400, { error: "invalid_request", error_description: "unknown persona: nobody" }]);
  const error = await new MockBankid({ baseUrl: "http://mock", fetch }).queueLogin("nobody").catch((e) => e);
  assert.ok(error instanceof MockBankidError);
  assert.equal(error.status, 400);
  assert.equal(error.error, "invalid_request");
  assert.equal(error.errorDescription, "unknown persona: nobody");
  assert.match(error.message, /POST http:\/\/mock\/_mock\/next-login\?realm=current answered 400 invalid_request/);
});

test("a non-JSON error keeps the start of the body", async () => {
  const fetch = async () => new Response("<html>bad gateway</html>", { status: 502 });
  const error = await new MockBankid({ baseUrl: "http://mock", fetch }).clock().catch((e) => e);
  assert.equal(error.error, "http_502");
  assert.equal(error.errorDescription, "<html>bad gateway</html>");
});

test("the base URL defaults to MOCK_BANKID_BASE_URL", () => {
  const saved = process.env.MOCK_BANKID_BASE_URL;
  process.env.MOCK_BANKID_BASE_URL = "http://127.0.0.1:4321";
  try {
    assert.equal(new MockBankid().issuer, "http://127.0.0.1:4321/auth/realms/current");
  } finally {
    if (saved === undefined) delete process.env.MOCK_BANKID_BASE_URL;
    else process.env.MOCK_BANKID_BASE_URL = saved;
  }
});

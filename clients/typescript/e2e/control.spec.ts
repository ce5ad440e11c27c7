// The client against a real mock-bankid, one fresh realm per test (the fixture's default scope):
// what one realm's calls change, another realm does not see.
import { expect, test } from "mock-bankid/playwright";

test("the realm's issuer serves its own discovery", async ({ mockBankid }) => {
  const discovery = await (await fetch(mockBankid.discoveryUrl)).json();
  expect(discovery.issuer).toBe(mockBankid.issuer);
  expect(discovery.authorization_endpoint.startsWith(`${mockBankid.issuer}/`)).toBe(true);
  expect(discovery.mock).toBe(true);
});

test("a queued login stays in its realm", async ({ mockBankid }) => {
  const other = await mockBankid.createRealm();
  const queued = await mockBankid.queueLogin("under-18", { scenario: "cancel" });
  expect(queued.persona.id).toBe("under-18");
  expect(await mockBankid.queuedLogins()).toEqual([{ selector: "under-18", scenario: "cancel" }]);
  expect(await other.queuedLogins()).toEqual([]);
  await mockBankid.clearQueuedLogins();
  expect(await mockBankid.queuedLogins()).toEqual([]);
  await other.deleteRealm();
});

test("a scenario goes on and off in its realm only", async ({ mockBankid }) => {
  const other = await mockBankid.createRealm();
  const on = await mockBankid.setScenario({ scenario: "outage", for_seconds: 60 });
  expect(on.active?.scenario).toBe("outage");
  expect((await other.scenario()).active).toBeNull();
  const discovery = await fetch(mockBankid.discoveryUrl);
  expect(discovery.status).toBe(503); // the outage covers this realm's discovery...
  expect((await fetch(other.discoveryUrl)).status).toBe(200); // ...and no other realm's
  await mockBankid.clearScenario();
  expect((await mockBankid.scenario()).active).toBeNull();
  expect((await fetch(mockBankid.discoveryUrl)).status).toBe(200);
  await other.deleteRealm();
});

test("the clock moves in its realm only", async ({ mockBankid }) => {
  const other = await mockBankid.createRealm();
  const before = await mockBankid.clock();
  const after = await mockBankid.advanceClock(86_400);
  expect(after.shift - before.shift).toBe(86_400);
  expect(after.today > before.today).toBe(true);
  expect((await other.clock()).shift).toBe(before.shift);
  await mockBankid.resetClock();
  expect((await mockBankid.clock()).shift).toBe(before.shift);
  await other.deleteRealm();
});

test("the request log is the realm's", async ({ mockBankid }) => {
  const other = await mockBankid.createRealm();
  expect((await fetch(mockBankid.discoveryUrl)).ok).toBe(true);
  const log = await mockBankid.requests({ path: "openid-configuration" });
  expect(log.map((entry) => entry.status)).toEqual([200]);
  expect(await other.requests()).toEqual([]);
  await mockBankid.clearRequests();
  expect(await mockBankid.requests()).toEqual([]);
  await other.deleteRealm();
});

test("minted tokens are the realm's and userinfo accepts them", async ({ mockBankid }) => {
  const tokens = await mockBankid.mint("under-18", { nonce: "n-1" });
  expect(tokens.persona.id).toBe("under-18");
  expect(tokens.claims.id_token?.iss).toBe(mockBankid.issuer);
  expect(tokens.claims.id_token?.nonce).toBe("n-1");
  expect(tokens.claims.access_token.iss).toBe(mockBankid.issuer);
  const userinfo = await fetch(`${mockBankid.baseUrl}/userinfo`, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
  expect(userinfo.status).toBe(200);
  expect((await userinfo.json()).sub).toBe(tokens.persona.sub);
  const refused = mockBankid.mint("adult", { client_id: "no-such-client" });
  await expect(refused).rejects.toMatchObject({ name: "MockBankidError", status: 400 });
});

test("a refused call throws the mock's error", async ({ mockBankid }) => {
  const refused = mockBankid.queueLogin("nobody-by-this-name");
  await expect(refused).rejects.toMatchObject({ name: "MockBankidError", status: 400, error: "invalid_request" });
});

test("the realm's Vipps Login has its own issuer, queue and scenario", async ({ mockBankid }) => {
  const discovery = await (await fetch(mockBankid.vippsDiscoveryUrl)).json();
  expect(discovery.issuer).toBe(mockBankid.vippsIssuer);
  expect(mockBankid.vippsIssuer.endsWith("/access-management-1.0/access/")).toBe(true);
  await mockBankid.queueLogin("vipps-only", { provider: "vipps" });
  expect(await mockBankid.queuedLogins("vipps")).toEqual([{ selector: "vipps-only", scenario: null }]);
  expect(await mockBankid.queuedLogins()).toEqual([]); // BankID's queue is its own
  await mockBankid.clearQueuedLogins("vipps");
  await mockBankid.setScenario("outage", { provider: "bankid" }); // the fallback situation
  expect((await fetch(mockBankid.discoveryUrl)).status).toBe(503);
  expect((await fetch(mockBankid.vippsDiscoveryUrl)).status).toBe(200);
  expect((await mockBankid.scenario("vipps")).active).toBeNull();
  await mockBankid.clearScenario();
  const tokens = await mockBankid.mint("adult", { provider: "vipps" });
  expect(tokens.claims.id_token?.iss).toBe(mockBankid.vippsIssuer);
  expect(tokens.claims.id_token?.nin).toBeUndefined(); // Vipps's ID token has no number
});

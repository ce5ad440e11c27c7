/**
 * A Playwright fixture: `mockBankid`, a client bound to a realm of its own.
 *
 * Playwright runs tests in parallel workers, and mock-bankid's queue, scenario, clock and request
 * log are per realm: so each test gets a realm nobody else uses, and what it queues is what its
 * sign-in gets. Two scopes (`test.use({ mockBankidRealmScope })`):
 *
 * - `"test"` (default): a fresh realm for every test (a random name), cleared after it. For tests whose relying
 *   party can be pointed at `mockBankid.issuer` per test (or that talk to the mock directly).
 * - `"worker"`: the worker's realm (`mockBankidWorkerRealm`), cleared before every test. For a
 *   relying party with one issuer per process (a Next.js server): start one per worker, pointed at
 *   `mockBankidWorkerRealm.issuer`; a worker runs its tests one at a time, so the realm is still
 *   the test's own.
 *
 * The fixture starts nothing: mock-bankid must already run at `mockBankidUrl`
 * (default `MOCK_BANKID_BASE_URL`, else `http://localhost:8080`).
 */
import { test as base } from "@playwright/test";

import { MockBankid } from "./client.js";

export { expect } from "@playwright/test";
export { MockBankid, MockBankidError } from "./client.js";

export type RealmScope = "test" | "worker";

export interface MockBankidTestFixtures {
  /** This test's realm of mock-bankid. */
  mockBankid: MockBankid;
  /** Option: a fresh realm per test (`"test"`, default) or the worker's realm, cleared (`"worker"`). */
  mockBankidRealmScope: RealmScope;
}

export interface MockBankidWorkerFixtures {
  /** Option: where mock-bankid runs. */
  mockBankidUrl: string;
  /** Option: the control token, for a mock bound beyond loopback. */
  mockBankidControlToken: string | undefined;
  /** The worker's own realm, created when first asked for and cleared when the worker ends. */
  mockBankidWorkerRealm: MockBankid;
}

export const test = base.extend<MockBankidTestFixtures, MockBankidWorkerFixtures>({
  mockBankidUrl: [process.env.MOCK_BANKID_BASE_URL ?? "http://localhost:8080", { scope: "worker", option: true }],
  mockBankidControlToken: [process.env.MOCK_BANKID_CONTROL_TOKEN, { scope: "worker", option: true }],
  mockBankidWorkerRealm: [
    async ({ mockBankidUrl, mockBankidControlToken }, use) => {
      const realm = await new MockBankid({ baseUrl: mockBankidUrl, controlToken: mockBankidControlToken }).createRealm();
      await use(realm);
      await realm.deleteRealm();
    },
    { scope: "worker" },
  ],
  mockBankidRealmScope: ["test", { option: true }],
  mockBankid: async ({ mockBankidRealmScope, mockBankidWorkerRealm }, use, testInfo) => {
    let realm: MockBankid;
    if (mockBankidRealmScope === "worker") {
      realm = mockBankidWorkerRealm;
      await realm.deleteRealm(); // whatever the last test left (a login it never used, a scenario) is gone
    } else {
      realm = await mockBankidWorkerRealm.createRealm();
    }
    await use(realm);
    if (testInfo.status !== testInfo.expectedStatus) {
      // What the relying party sent, next to the failure in the report.
      const log = await realm.requests().catch((error: unknown) => String(error));
      await testInfo.attach(`mock-bankid requests (realm ${realm.realm})`, {
        body: JSON.stringify(log, null, 2),
        contentType: "application/json",
      });
    }
    if (mockBankidRealmScope === "test") await realm.deleteRealm();
  },
});

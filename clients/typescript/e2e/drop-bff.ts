/**
 * A Playwright fixture for examples/drop-bff (a Next.js BFF): one `next start` per worker, pointed
 * at the worker's own mock-bankid realm. The BFF reads one issuer per process (BANKID_ISSUER), so
 * the realm is per worker, and `mockBankid` is that realm, cleared before each test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { test as mockBankidTest } from "mock-bankid/playwright";

export { expect } from "mock-bankid/playwright";

const BFF_DIR = process.env.DROP_BFF_DIR ?? fileURLToPath(new URL("../../../examples/drop-bff/", import.meta.url));

export const test = mockBankidTest.extend<{}, { dropBff: string }>({
  mockBankidRealmScope: "worker",
  dropBff: [
    async ({ mockBankidWorkerRealm }, use) => {
      const port = await freePort();
      const baseUrl = `http://localhost:${port}`; // drop-web's registered callback host, any port
      const data = mkdtempSync(join(tmpdir(), "drop-bff-"));
      const next = spawn(process.execPath, ["node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1", "-p", String(port)], {
        cwd: BFF_DIR,
        env: {
          ...process.env,
          BANKID_MOCK: "true",
          BANKID_ISSUER: mockBankidWorkerRealm.issuer,
          DROP_BFF_BASE_URL: baseUrl,
          DROP_BFF_DB: join(data, "drop.sqlite"),
          NEXT_TELEMETRY_DISABLED: "1",
          NODE_ENV: "production",
        },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let output = "";
      next.stdout?.on("data", (chunk) => (output += chunk));
      next.stderr?.on("data", (chunk) => (output += chunk));
      try {
        await waitUntilUp(baseUrl, next, () => output);
        await use(baseUrl);
      } finally {
        await stop(next);
        rmSync(data, { recursive: true, force: true });
      }
    },
    { scope: "worker", timeout: 60_000 },
  ],
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`next start exited with ${child.exitCode}:\n${output()}`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the BFF did not answer at ${url}:\n${output()}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
  if (child.exitCode === null) child.kill("SIGKILL");
}

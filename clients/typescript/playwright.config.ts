import { defineConfig } from "@playwright/test";

// Debian's Chromium, because Playwright's browser download is not reachable where this suite runs
// (mock-bankid's CI). With normal network access: `npx playwright install chromium` once, then run
// with PLAYWRIGHT_OWN_BROWSERS=1 to use Playwright's own build instead.
const debianChromium = {
  executablePath: "/usr/bin/chromium",
  // Quiet on a closed network: without these Chromium's background connections are refused.
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
};

export default defineConfig({
  testDir: "./e2e",
  fullyParallel: true, // tests of one file spread over the workers too
  forbidOnly: true,
  retries: 0, // a flaky sign-in is a bug here, not noise
  timeout: 30_000,
  reporter: process.env.CI ? "line" : "list",
  use: {
    browserName: "chromium",
    launchOptions: process.env.PLAYWRIGHT_OWN_BROWSERS ? {} : debianChromium,
  },
});

// Test harness for vipps.cjs (tests/test_e2e_clients.py): no browser, so the authorization URL is
// fetched and its redirect read; the mock signs in whoever the test queued for Vipps.
// argv: [client_id, client_secret].
const { vippsClient, startSignIn, finishSignIn } = require("./vipps.cjs");

(async () => {
  const client = await vippsClient(...process.argv.slice(2));
  const { url, checks } = startSignIn(client);
  const response = await fetch(url, { redirect: "manual" });
  if (response.status !== 302) throw new Error(`authorize answered ${response.status}: ${await response.text()}`);
  console.log(JSON.stringify(await finishSignIn(client, response.headers.get("location"), checks)));
})().catch((err) => { console.error(err); process.exit(1); });

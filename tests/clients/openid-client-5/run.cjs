// Test harness for bankid.cjs (tests/test_e2e_clients.py): no browser, so the authorization URL
// is fetched and its redirect read; the mock signs in whoever the test queued (POST /_mock/next-login).
const { bankidClient, startSignIn, finishSignIn } = require("./bankid.cjs");

(async () => {
  const client = await bankidClient();
  const { url, checks } = startSignIn(client);
  const response = await fetch(url, { redirect: "manual" });
  if (response.status !== 302) throw new Error(`authorize answered ${response.status}: ${await response.text()}`);
  console.log(JSON.stringify(await finishSignIn(client, response.headers.get("location"), checks)));
})().catch((err) => { console.error(err); process.exit(1); });

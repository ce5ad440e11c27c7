// Test harness for bankid.mjs (tests/test_e2e_clients.py): no browser, so the authorization URL
// is fetched and its redirect read; the mock signs in whoever the test queued (POST /_mock/next-login).
import { bankidConfig, startSignIn, finishSignIn } from "./bankid.mjs";

const config = await bankidConfig();
const { url, checks } = await startSignIn(config);
const response = await fetch(url, { redirect: "manual" });
if (response.status !== 302) throw new Error(`authorize answered ${response.status}: ${await response.text()}`);
console.log(JSON.stringify(await finishSignIn(config, response.headers.get("location"), checks)));

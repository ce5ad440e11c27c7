// Test harness for vipps.mjs (tests/test_e2e_clients.py): no browser, so the authorization URL is
// fetched and its redirect read; the mock signs in whoever the test queued for Vipps
// (POST /_mock/next-login?provider=vipps). argv: [client_id, client_secret, scope].
import { vippsConfig, startSignIn, finishSignIn } from "./vipps.mjs";

const [clientId, clientSecret, scope] = process.argv.slice(2);
const config = await vippsConfig(clientId, clientSecret);
const { url, checks } = await startSignIn(config, scope);
const response = await fetch(url, { redirect: "manual" });
if (response.status !== 302) throw new Error(`authorize answered ${response.status}: ${await response.text()}`);
console.log(JSON.stringify(await finishSignIn(config, response.headers.get("location"), checks)));

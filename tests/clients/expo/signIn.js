import * as Crypto from "expo-crypto";
import * as Linking from "expo-linking";
import * as SecureStore from "expo-secure-store";
import * as WebBrowser from "expo-web-browser";
import config from "./bankid.json";

// BankID registers only confidential clients: the app never talks to BankID. It opens Drop's BFF in
// the system browser (ASWebAuthenticationSession / Custom Tabs, never a web view); the BFF signs in
// as its confidential client and hands the app a one-time code on its deep link.
export async function signInWithBankID() {
  // Build: drop://auth/done; Expo Go: exp://<host>:<port>/--/auth/done (the BFF allows it in mock mode).
  const appRedirect = Linking.createURL(config.appPath);
  // Our own PKCE pair, so another app that claims the drop:// scheme cannot use a stolen code.
  const verifier = Crypto.randomUUID().replaceAll("-", "") + Crypto.randomUUID().replaceAll("-", "");
  const challenge = (await Crypto.digestStringAsync(Crypto.CryptoDigestAlgorithm.SHA256, verifier,
    { encoding: Crypto.CryptoEncoding.BASE64 })).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const start = `${config.bff}/api/auth/bankid?client=mobile&app_redirect=${encodeURIComponent(appRedirect)}`
    + `&app_challenge=${challenge}`;

  const result = await WebBrowser.openAuthSessionAsync(start, appRedirect);
  if (result.type !== "success") return { error: result.type }; // "cancel" or "dismiss": the user closed it
  const { queryParams } = Linking.parse(result.url);
  if (queryParams.error) return { error: queryParams.error, message: queryParams.error_description };

  const response = await fetch(`${config.bff}/api/auth/mobile/exchange`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ code: queryParams.code, code_verifier: verifier }),
  });
  if (!response.ok) return { error: "exchange_failed" }; // used, expired (60 s) or not ours: sign in again
  const { access_token } = await response.json();
  await SecureStore.setItemAsync("drop_token", access_token); // send as Authorization: Bearer to the BFF
  return { ok: true };
}

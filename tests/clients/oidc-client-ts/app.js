// oidc-client-ts 3 in the browser against mock-bankid: a public client (no secret) with PKCE,
// on a page served from another origin than the mock (CORS: discovery, JWKS, token, userinfo).
const mgr = new oidc.UserManager({
  authority: MOCK_BANKID_ISSUER,              // e.g. http://localhost:8080/auth/realms/current
  client_id: CLIENT.client_id,                // "drop-spa" (or "drop-mobile" for Expo web)
  redirect_uri: location.origin + CLIENT.callback_path,  // http://localhost:<any port>/callback
  response_type: "code",
  scope: "openid profile nnin_altsub",        // nnin_altsub: the number in the ID token
  loadUserInfo: true,                         // userinfo (JSON for these clients) merged into profile
  filterProtocolClaims: ["nbf", "jti", "auth_time", "nonce", "azp", "at_hash"],  // keep acr and amr
});

const out = document.getElementById("out");
const button = document.getElementById("sign-in");

if (location.pathname === CLIENT.callback_path) {
  mgr.signinCallback().then((user) => {
    const p = user.profile;
    out.textContent = JSON.stringify({ name: p.name, nnin: p.nnin_altsub, acr: p.acr, amr: p.amr, sub: p.sub });
  }).catch((err) => { out.textContent = "error: " + err.message; });
} else {
  button.hidden = false;
  // oidc-client-ts sends no nonce unless told to; BankID (and the mock) require one.
  button.onclick = () => mgr.signinRedirect({ nonce: crypto.randomUUID() });
}

// The authorization code flow as a relying party runs it, without a browser: the mock signs a
// persona in (login_hint, or the next-login queue when loginHint is null) and the redirect it
// answers with is read, not followed. Shared by every script here.
import * as client from 'openid-client';

// Build the authorization URL (PKCE S256, state, nonce) and fetch it; returns the callback URL and
// the checks openid-client needs to judge it. par: push the parameters first (RFC 9126,
// buildAuthorizationUrlWithPAR); authorizationDetails: RFC 9396's parameter, a JSON array.
export async function authorize(config, { redirectUri, scope = 'openid profile nnin_altsub', loginHint = 'adult',
                                          par = false, authorizationDetails = null }) {
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const params = {
    redirect_uri: redirectUri, scope, state, nonce,
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
  };
  if (loginHint) params.login_hint = loginHint;
  if (authorizationDetails) params.authorization_details = JSON.stringify(authorizationDetails);
  const url = par ? await client.buildAuthorizationUrlWithPAR(config, params) : client.buildAuthorizationUrl(config, params);
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (response.status !== 302 || !location) {
    throw new Error(`authorize answered ${response.status} without a redirect: ${(await response.text()).slice(0, 300)}`);
  }
  return {
    url, location, state, nonce, callbackUrl: new URL(location),
    checks: { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true },
  };
}

// authorize() then the token exchange with every check on.
export async function signIn(config, options) {
  const { callbackUrl, checks } = await authorize(config, options);
  return client.authorizationCodeGrant(config, callbackUrl, checks);
}

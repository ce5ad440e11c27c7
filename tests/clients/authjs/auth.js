// Auth.js (next-auth 5) with its built-in BankID Norway and Vipps providers, pointed at mock-bankid.
// Configuration comes from the environment, as Auth.js infers it for the provider ids "bankid-no"
// and "vipps":
//   AUTH_BANKID_NO_ISSUER  http://localhost:8080/auth/realms/current   (the mock's BankID issuer)
//   AUTH_BANKID_NO_ID      drop-web
//   AUTH_BANKID_NO_SECRET  drop-web-secret
//   AUTH_VIPPS_ISSUER      http://localhost:8080/access-management-1.0/access/   (the mock's Vipps issuer)
//   AUTH_VIPPS_ID          drop-web-vipps
//   AUTH_VIPPS_SECRET      drop-web-vipps-secret
//   AUTH_SECRET            any random string (Auth.js encrypts its session cookie with it)
//   AUTH_TRUST_HOST        true (next start outside Vercel)
import NextAuth from "next-auth"
import BankIDNorge from "next-auth/providers/bankid-no"
import Vipps from "next-auth/providers/vipps"

// The provider builds its profile from userinfo; the number and the method are in the ID token.
function idTokenClaims(idToken) {
  return JSON.parse(Buffer.from(idToken.split(".")[1], "base64url").toString())
}

export const { handlers, auth, signIn, signOut } = NextAuth({
  providers: [
    BankIDNorge({
      // Pass the issuer explicitly: once the provider is called with options, Auth.js no longer
      // reads AUTH_BANKID_NO_ISSUER over the provider's default (https://auth.bankid.no/...).
      issuer: process.env.AUTH_BANKID_NO_ISSUER,
      // nnin_altsub puts the national identity number in the ID token. The provider's own
      // defaults stay: client_secret_post, userinfo as a signed JWT, login_hint=BIS, ui_locales=no.
      authorization: { params: { scope: "openid profile nnin_altsub" } },
    }),
    // Out of the box but for the issuer (the provider's default is https://api.vipps.no/...): scope
    // "openid name email", client_secret_basic, PKCE, state and nonce, the profile from userinfo.
    Vipps({ issuer: process.env.AUTH_VIPPS_ISSUER }),
  ],
  callbacks: {
    jwt({ token, account }) {
      if (account) token.provider = account.provider
      if (account?.provider === "bankid-no" && account.id_token) {
        const claims = idTokenClaims(account.id_token)
        token.nnin = claims.nnin_altsub
        token.acr = claims.acr
        token.amr = claims.amr
      }
      return token
    },
    session({ session, token }) {
      return { ...session, provider: token.provider, nnin: token.nnin, acr: token.acr, amr: token.amr }
    },
  },
})

// Auth.js (next-auth 5) with its built-in BankID Norway provider, pointed at mock-bankid.
// Configuration comes from the environment, as Auth.js infers it for the provider id "bankid-no":
//   AUTH_BANKID_NO_ISSUER  http://localhost:8080/auth/realms/current   (the mock's issuer)
//   AUTH_BANKID_NO_ID      drop-web
//   AUTH_BANKID_NO_SECRET  drop-web-secret
//   AUTH_SECRET            any random string (Auth.js encrypts its session cookie with it)
//   AUTH_TRUST_HOST        true (next start outside Vercel)
import NextAuth from "next-auth"
import BankIDNorge from "next-auth/providers/bankid-no"

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
  ],
  callbacks: {
    jwt({ token, account }) {
      if (account?.id_token) {
        const claims = idTokenClaims(account.id_token)
        token.nnin = claims.nnin_altsub
        token.acr = claims.acr
        token.amr = claims.amr
      }
      return token
    },
    session({ session, token }) {
      return { ...session, nnin: token.nnin, acr: token.acr, amr: token.amr }
    },
  },
})

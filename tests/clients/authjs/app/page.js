import { auth, signIn } from "@/auth"

// Signed out: one button per provider (server actions, work without JavaScript). Signed in: the identity.
export default async function Home() {
  const session = await auth()
  if (!session) {
    return (
      <>
        <form action={async () => { "use server"; await signIn("bankid-no") }}>
          <button type="submit" data-testid="sign-in">Sign in with BankID</button>
        </form>
        <form action={async () => { "use server"; await signIn("vipps") }}>
          <button type="submit" data-testid="sign-in-vipps">Sign in with Vipps</button>
        </form>
      </>
    )
  }
  return <pre data-testid="session">{JSON.stringify(session, null, 2)}</pre>
}

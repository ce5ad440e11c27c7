import { cookies } from "next/headers";
import { redirect } from "next/navigation";

import { userById } from "@/lib/db";
import { readSignIn, SESSION_COOKIE } from "@/lib/session";

export const dynamic = "force-dynamic";

export default async function Dashboard() {
  const session = await readSignIn((await cookies()).get(SESSION_COOKIE)?.value);
  const user = session ? userById(session.userId) : undefined;
  if (!session || !user) redirect("/");
  return (
    <main>
      <h1 data-testid="welcome">Welcome, {user.given_name ?? "Drop user"}</h1>
      <p>
        Identity verified: <span data-testid="kyc">{user.kyc_status}</span> by {user.kyc_method} on{" "}
        {user.kyc_verified_at.slice(0, 10)}. Signed in with{" "}
        <span data-testid="auth-provider">{session.provider === "vipps" ? "Vipps" : "BankID"}</span>.
      </p>
      <form method="post" action="/logout">
        <button type="submit">Sign out</button>
      </form>
    </main>
  );
}

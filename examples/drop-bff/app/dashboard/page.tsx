import { cookies } from "next/headers";
import { redirect } from "next/navigation";

import { userById } from "@/lib/db";
import { readSession, SESSION_COOKIE } from "@/lib/session";

export const dynamic = "force-dynamic";

export default async function Dashboard() {
  const userId = await readSession((await cookies()).get(SESSION_COOKIE)?.value);
  const user = userId ? userById(userId) : undefined;
  if (!user) redirect("/");
  return (
    <main>
      <h1 data-testid="welcome">Welcome, {user.given_name ?? "Drop user"}</h1>
      <p>
        Identity verified: <span data-testid="kyc">{user.kyc_status}</span> by {user.kyc_method} on{" "}
        {user.kyc_verified_at.slice(0, 10)}.
      </p>
      <form method="post" action="/logout">
        <button type="submit">Sign out</button>
      </form>
    </main>
  );
}

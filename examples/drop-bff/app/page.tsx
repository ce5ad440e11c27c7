import { vippsIfConfigured } from "@/lib/config";

export const dynamic = "force-dynamic";

export default function Home() {
  const withVipps = vippsIfConfigured() !== null; // ADR-007 Phase 2: Vipps Login by choice, and as BankID's fallback
  return (
    <main>
      <h1>Drop</h1>
      <p>Sign in with BankID to open your account. Passwords and SMS codes are gone (ADR-007).</p>
      <p>
        <a href="/api/auth/bankid" data-testid="bankid-sign-in">Sign in with BankID</a>
      </p>
      {withVipps && (
        <p>
          <a href="/api/auth/vipps" data-testid="vipps-sign-in">Sign in with Vipps</a>
        </p>
      )}
    </main>
  );
}

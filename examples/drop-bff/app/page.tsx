export default function Home() {
  return (
    <main>
      <h1>Drop</h1>
      <p>Sign in with BankID to open your account. Passwords and SMS codes are gone (ADR-007).</p>
      <p>
        <a href="/api/auth/bankid" data-testid="bankid-sign-in">Sign in with BankID</a>
      </p>
    </main>
  );
}

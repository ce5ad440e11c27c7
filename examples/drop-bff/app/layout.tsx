import type { ReactNode } from "react";

export const metadata = { title: "Drop" };
export const dynamic = "force-dynamic"; // the BANKID_MOCK banner is read at run time, not baked in at build

export default function RootLayout({ children }: { children: ReactNode }) {
  const mock = process.env.BANKID_MOCK === "true";
  return (
    <html lang="en">
      <body style={{ fontFamily: "system-ui, sans-serif", maxWidth: "32rem", margin: "3rem auto", padding: "0 1rem" }}>
        {mock && (
          <p role="status" style={{ background: "#fff3cd", padding: ".5rem" }}>
            BANKID_MOCK=true: sign-in goes to mock-bankid, not BankID.
          </p>
        )}
        {children}
      </body>
    </html>
  );
}

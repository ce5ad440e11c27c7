/** Small server-rendered pages for a failed sign-in: a clear sentence and a way to start again. */
import { NextResponse } from "next/server";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A link the page offers; the first is the button. `testid` names it for tests and the drill's readers. */
export interface Action {
  href: string;
  label: string;
  testid?: string;
}

export const TRY_BANKID: Action = { href: "/api/auth/bankid", label: "Try again with BankID", testid: "bankid-sign-in" };

export function page(status: number, title: string, message: string, headers: Record<string, string> = {},
  actions: Action[] = [TRY_BANKID]): NextResponse {
  const links = actions.map((a, i) => `<a${i === 0 ? ' class="button"' : ""} href="${escape(a.href)}"` +
    `${a.testid ? ` data-testid="${escape(a.testid)}"` : ""}>${escape(a.label)}</a>`).join(" ");
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} – Drop</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
a.button{display:inline-block;padding:.6rem 1rem;background:#39134c;color:#fff;border-radius:.4rem;text-decoration:none}</style>
</head><body><main><h1>${escape(title)}</h1><p>${escape(message)}</p>
<p>${links} <a href="/">Back to Drop</a></p></main></body></html>`;
  return new NextResponse(html, {
    status,
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", ...headers },
  });
}

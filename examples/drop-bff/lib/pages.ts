/** Small server-rendered pages for a failed sign-in: a clear sentence and a way to start again. */
import { NextResponse } from "next/server";

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function page(status: number, title: string, message: string, headers: Record<string, string> = {}): NextResponse {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} – Drop</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5}
a.button{display:inline-block;padding:.6rem 1rem;background:#39134c;color:#fff;border-radius:.4rem;text-decoration:none}</style>
</head><body><main><h1>${escape(title)}</h1><p>${escape(message)}</p>
<p><a class="button" href="/api/auth/bankid">Try again with BankID</a> <a href="/">Back to Drop</a></p></main></body></html>`;
  return new NextResponse(html, {
    status,
    headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", ...headers },
  });
}

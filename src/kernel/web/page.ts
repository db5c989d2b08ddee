import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { html, raw, type Html } from './html.js';

/**
 * The shell every hosted page (KYC verification, checkout, dashboard) is rendered in: phone width
 * first, readable without scripts, one stylesheet inline, a sandbox banner when the server is a
 * sandbox. Scripts are optional enhancements and must carry the page's nonce.
 */
export interface PageOptions {
  title: string;
  body: Html;
  /** Shows the "Sandbox: no real money or documents" banner. */
  sandbox: boolean;
  /** Brand colour (#rrggbb) for buttons and the header; validated by the caller's schema. */
  accent?: string;
  /** Extra <head> content (for example a <meta http-equiv="refresh"> fallback for polling). */
  head?: Html;
  /** Inline script (an enhancement: the page must work without it). */
  script?: string;
  lang?: string;
  /**
   * Origins (`https://host[:port]`) the page may load images from besides itself and data: URLs,
   * such as a partner's logo on its hosted checkout. Anything that is not a plain https origin is dropped.
   */
  imageOrigins?: string[];
  /** Extra CSS of the page's own (a trusted constant), added to the shell's stylesheet. */
  css?: string;
}

const BASE_CSS = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f5f6f8}
main{max-width:34rem;margin:0 auto;padding:1rem}
.card{background:#fff;border:1px solid #d8dbe0;border-radius:12px;padding:1.25rem;margin:1rem 0}
h1{font-size:1.4rem;margin:.25rem 0 1rem}h2{font-size:1.15rem}
.banner{background:#fff4ce;color:#4d3800;border-bottom:1px solid #e0c96b;padding:.5rem 1rem;text-align:center;font-weight:600}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input,select{font:inherit;width:100%;padding:.6rem;border:1px solid #8a8f98;border-radius:8px;background:#fff;color:inherit}
input[type=checkbox],input[type=radio]{width:auto;margin-right:.5rem}
button,.button{display:inline-block;font:inherit;font-weight:600;padding:.7rem 1.2rem;border:0;border-radius:8px;background:var(--accent);color:#fff;
  cursor:pointer;text-decoration:none;min-height:44px}
button.secondary,.button.secondary{background:#fff;color:var(--accent);border:2px solid var(--accent)}
:focus-visible{outline:3px solid #1a56db;outline-offset:2px}
.muted{color:#4a4f57}.error{color:#a4161a;font-weight:600}.ok{color:#1b6e33;font-weight:600}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
ol.steps{display:flex;gap:.5rem;padding:0;list-style:none;font-size:.85rem}ol.steps li{flex:1;border-top:4px solid #d8dbe0;padding-top:.25rem}
ol.steps li[aria-current]{border-color:var(--accent);font-weight:600}
@media (min-width:48rem){main{padding:2rem}}
`;

/** A fresh nonce for the page's inline script, named in its Content-Security-Policy. */
export const newNonce = (): string => randomBytes(16).toString('base64');

export function renderPage(options: PageOptions, nonce: string): string {
  const accent = options.accent && /^#[0-9a-fA-F]{6}$/.test(options.accent) ? options.accent : '#1a56db';
  return html`<!doctype html>
<html lang="${options.lang ?? 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${options.title}</title>
<style nonce="${nonce}">:root{--accent:${accent}}${raw(BASE_CSS)}${raw(options.css ?? '')}</style>
${options.head}
</head>
<body>
${options.sandbox ? html`<div class="banner" role="note">Sandbox: no real money moves and no real documents are checked.</div>` : ''}
<main>
${options.body}
</main>
${options.script ? html`<script nonce="${nonce}">${raw(options.script)}</script>` : ''}
</body>
</html>`.value;
}

/**
 * Sends a hosted page with the headers every such page needs: no caching (the URL is a bearer
 * token), no referrer (it would leak the token to any link target), a strict Content Security
 * Policy (inline style and script only with this response's nonce; images from the page itself
 * and data: URLs, for QR codes and previews), no framing.
 */
export function sendPage(reply: FastifyReply, options: PageOptions, status = 200): FastifyReply {
  const nonce = newNonce();
  const images = ['\'self\'', 'data:', 'blob:', ...(options.imageOrigins ?? []).filter((o) => /^https:\/\/[a-z0-9.-]+(:\d{1,5})?$/i.test(o))];
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-content-type-options', 'nosniff')
    .header('x-frame-options', 'DENY')
    .header(
      'content-security-policy',
      `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; img-src ${images.join(' ')}; ` +
        `media-src 'self' blob:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    )
    .send(renderPage(options, nonce));
}

/**
 * The base URL of hosted page links given out in an API answer: CENTUM_PUBLIC_URL when set (set it
 * in production, behind a proxy), else the scheme and host the API request itself came to.
 */
export function publicBaseUrl(configured: string | undefined, request: FastifyRequest): string {
  return configured ?? `${request.protocol}://${request.host}`;
}

import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import apiReference from '@scalar/fastify-api-reference';

/**
 * The API reference at `/docs`: Scalar's renderer (its bundle ships inside
 * @scalar/fastify-api-reference and is served from `/docs/js/scalar.js`, so the page works
 * offline), reading `/openapi.json`. The tag groups put the partner API first; the guides
 * (quickstart, errors, webhooks) are the document's description.
 *
 * Content-Security-Policy: scripts from this origin plus the page's one inline script, named by
 * its SHA-256 (the renderer's configuration, the same on every load); the renderer injects its
 * stylesheet and style attributes at run time, so styles need 'unsafe-inline'; requests (the
 * document, "Test request") go to this origin only; nothing may frame the page.
 */
const SCRIPT = /<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export function docsPolicy(page: string): string {
  const hashes = [...page.matchAll(SCRIPT)].map((m) => sha256(m[1]));
  return [
    "default-src 'none'",
    `script-src 'self' ${hashes.join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export async function registerApiReference(app: FastifyInstance): Promise<void> {
  await app.register(async (docs) => {
    docs.addHook('onSend', async (_request, reply, payload) => {
      reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer').header('x-frame-options', 'DENY');
      if (typeof payload === 'string' && String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
        reply.header('content-security-policy', docsPolicy(payload));
      }
      return payload;
    });
    await docs.register(apiReference, {
      routePrefix: '/docs',
      logLevel: 'warn',
      configuration: {
        url: '/openapi.json',
        pageTitle: 'Centum API reference',
        withDefaultFonts: false, // the page loads nothing from elsewhere
        hideClientButton: true,
        hideDarkModeToggle: false,
        showDeveloperTools: 'never',
        defaultOpenAllTags: false,
        agent: { disabled: true },
        mcp: { disabled: true },
        telemetry: false,
        metaData: { title: 'Centum API reference' },
      },
    });
  });
}

import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { partnerNow } from '../../kernel/clock.js';
import { CURRENCIES, findNetwork, type CurrencyCode, type NetworkCode } from '../../kernel/currencies.js';
import type { Queryable } from '../../kernel/db.js';
import { ApiError } from '../../kernel/errors.js';
import { toMinor } from '../../kernel/money.js';
import { sha256 } from '../../kernel/secrets.js';
import { PaymentLinkStatus } from '../../kernel/statuses.js';
import { html, raw, type Html } from '../../kernel/web/html.js';
import { sendPage } from '../../kernel/web/page.js';
import { FINAL_STATUSES, linkView, newQuote, PAYMENT_OPTIONS, paymentOption, type LinkView } from './service.js';
import { findLinkByTokenHash, latestQuote, lockLink, type LinkRow } from './store.js';
import { qrDataUrl, walletUri } from './wallet-uri.js';

/**
 * The payer's page at /pay/<token> (the token is the credential; only its hash is stored). It
 * works without JavaScript: choosing a coin is a form POST, the page refreshes itself through a
 * <noscript> meta refresh while something is awaited. The script only adds the copy buttons, the
 * live countdown (and a new quote when it lapses) and polling of /pay/<token>/status.
 */

const POLL_SECONDS = 3;
const REFRESH_SECONDS = 10;

const NETWORK_NAMES: Record<NetworkCode, string> = {
  btc: 'Bitcoin (testnet)', ltc: 'Litecoin (testnet)', doge: 'Dogecoin (testnet)', ethereum: 'Ethereum (Sepolia)', polygon: 'Polygon (Amoy)',
};
const optionValue = (o: { currency: string; network: string }) => `${o.currency}:${o.network}`;
const optionLabel = (o: { currency: string; network: string }) => `${o.currency.toUpperCase()} on ${NETWORK_NAMES[o.network as NetworkCode]}`;

interface PageData {
  link: LinkRow;
  view: LinkView;
  now: Date;
  /** The coin of the link's latest quote, current or lapsed (offered first). */
  lastOption?: { currency: string; network: string };
}

async function loadByToken(q: Queryable, token: string): Promise<{ link: LinkRow; now: Date } | undefined> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
  const link = await findLinkByTokenHash(q, sha256(token));
  if (!link) return undefined;
  const [partner] = await q.query<{ clock_offset_ms: bigint }>('SELECT clock_offset_ms FROM partners WHERE id = $1', [link.partner_id]);
  return { link, now: partnerNow(partner.clock_offset_ms) };
}

/** What the page shows, in one string: the script reloads the page when it changes. */
function stateOf(view: LinkView, now: Date): string {
  const quoteLive = view.quote && new Date(view.quote.expiresAt) > now ? view.quote.quoteId : 'none';
  const confirmations = view.transactions.map((t) => `${t.status}${t.confirmations}`).join(',');
  return `${view.status}|${view.exception ?? ''}|${quoteLive}|${confirmations}`;
}

const eurText = (amount: string) => `${amount} EUR`;

function header(d: PageData): Html {
  const name = d.link.display_name ?? 'Centum Pay';
  return html`<header class="brand">
${d.link.logo_url ? html`<img class="logo" src="${d.link.logo_url}" alt="${name} logo" width="48" height="48">` : ''}
<p class="merchant">${name}</p>
</header>
<h1>Pay ${eurText(d.view.amount)}</h1>
${d.view.description ? html`<p class="muted">${d.view.description}</p>` : ''}`;
}

function chooser(d: PageData, token: string, note?: string, switching = false): Html {
  const current = optionValue(d.view.quote ?? d.lastOption ?? PAYMENT_OPTIONS[0]);
  return html`<form class="card" method="post" action="/pay/${token}/quote">
${note ? html`<p role="alert">${note}</p>` : ''}
<fieldset><legend>${switching ? 'Pay with another coin' : 'Pay with'}</legend>
${PAYMENT_OPTIONS.map((o) => html`<label class="option"><input type="radio" name="option" value="${optionValue(o)}"${
    optionValue(o) === current ? raw(' checked') : ''}> ${optionLabel(o)}</label>`)}
</fieldset>
<button type="submit"${switching ? raw(' class="secondary"') : ''}>${switching ? 'Switch coin' : 'Show amount and address'}</button>
</form>`;
}

async function payPanel(d: PageData, token: string): Promise<Html> {
  const quote = d.view.quote!;
  const currency = quote.currency as CurrencyCode;
  const network = quote.network as NetworkCode;
  const uri = walletUri(currency, network, quote.address, toMinor(quote.amount, CURRENCIES[currency].scale));
  const seconds = Math.max(0, Math.floor((new Date(quote.expiresAt).getTime() - d.now.getTime()) / 1000));
  const unit = currency.toUpperCase();
  return html`<section class="card" aria-labelledby="send-title">
<h2 id="send-title">Send exactly</h2>
<p class="amount"><span id="pay-amount" class="mono">${quote.amount}</span> ${unit}
 <button type="button" class="secondary copy" data-copy="${quote.amount}" hidden>Copy amount</button></p>
<p class="muted">on ${NETWORK_NAMES[network]}, to this address:</p>
<p class="mono" id="pay-address">${quote.address}</p>
<p><button type="button" class="secondary copy" data-copy="${quote.address}" hidden>Copy address</button></p>
<p class="qr"><img id="qr" src="${await qrDataUrl(uri)}" alt="QR code of the payment request for ${quote.amount} ${unit}" width="246" height="246"></p>
<p><a class="button" id="wallet-link" href="${uri}">Open in wallet</a></p>
<p>This amount is held for <strong><span id="countdown" aria-live="off" data-seconds="${seconds}">${Math.floor(seconds / 60)} min</span></strong>
 (until ${quote.expiresAt.slice(11, 16)} UTC); send it after that and it is converted at the rate of the moment.</p>
<form id="requote" method="post" action="/pay/${token}/quote"><input type="hidden" name="option" value="${optionValue(quote)}">
<button type="submit" class="secondary">Get a new quote</button></form>
</section>`;
}

function confirmingPanel(d: PageData): Html {
  const confirming = d.view.transactions.filter((t) => t.status === 'CONFIRMING');
  return html`<section class="card">
<h2>Payment received, confirming</h2>
${confirming.map((t) => html`<p><span class="confirming">Confirming ${t.confirmations} of ${t.requiredConfirmations}</span>:
 ${t.amount} ${t.currency.toUpperCase()}</p>
<progress max="${t.requiredConfirmations}" value="${t.confirmations}" aria-label="Confirmations">${t.confirmations}</progress>`)}
<p class="muted">You can close this page; the merchant is told when the payment is final.</p>
</section>`;
}

function receivedLine(d: PageData): Html {
  return html`<p>Received so far: <strong>${eurText(d.view.amountReceived)}</strong> of ${eurText(d.view.amount)}.</p>`;
}

async function body(d: PageData, token: string, note?: string): Promise<Html> {
  const v = d.view;
  const back = (url: string | null, label: string) => (url ? html`<p><a class="button" href="${url}">${label}</a></p>` : '');
  switch (v.status) {
    case PaymentLinkStatus.COMPLETED:
      return html`<section class="card" id="done"><h2 class="ok">Payment complete</h2><p>Received: <strong>${eurText(v.amountReceived)}</strong>.</p>
${v.exception === 'OVERPAID' ? html`<p>You sent more than the amount; all of it was credited to ${d.link.display_name ?? 'the merchant'}.</p>` : ''}
<p>Thank you.</p>${back(v.successUrl, `Return to ${d.link.display_name ?? 'the merchant'}`)}</section>`;
    case PaymentLinkStatus.EXPIRED:
      return html`<section class="card" id="done"><h2>This payment link has expired</h2>
${v.amountReceived !== '0.00'
    ? html`${receivedLine(d)}<p>What you paid has been credited to ${d.link.display_name ?? 'the merchant'}; contact them to complete or refund it.</p>`
    : html`<p>Nothing was paid. Ask ${d.link.display_name ?? 'the merchant'} for a new link.</p>`}
${back(v.cancelUrl, `Return to ${d.link.display_name ?? 'the merchant'}`)}</section>`;
    case PaymentLinkStatus.CONFIRMING:
      return confirmingPanel(d);
    default: {
      const awaiting = v.status === PaymentLinkStatus.AWAITING_COMPLETION
        ? html`<section class="card" id="remaining">${receivedLine(d)}<h2>Send the remaining ${eurText(v.amountRemaining)}</h2>
<p>by ${v.underpaymentWindowEndsAt!.slice(0, 16).replace('T', ' ')} UTC.</p></section>`
        : '';
      const live = v.quote && new Date(v.quote.expiresAt) > d.now && v.quote.eurAmount === v.amountRemaining;
      const lapsed = !live && d.lastOption ? 'The quoted amount has lapsed: get a new quote.' : undefined;
      return html`${awaiting}${live ? await payPanel(d, token) : chooser(d, token, note ?? lapsed)}
${live ? chooser(d, token, note, true) : ''}
${v.cancelUrl ? html`<p><a href="${v.cancelUrl}">Cancel and return to ${d.link.display_name ?? 'the merchant'}</a></p>` : ''}`;
    }
  }
}

const SCRIPT = `(function(){
document.querySelectorAll('[data-copy]').forEach(function(b){var label=b.textContent;b.hidden=false;b.addEventListener('click',function(){
navigator.clipboard.writeText(b.getAttribute('data-copy')).then(function(){b.textContent='Copied';setTimeout(function(){b.textContent=label},2000)})})});
var cd=document.getElementById('countdown');
if(cd){var left=Number(cd.getAttribute('data-seconds'));var tick=function(){if(left<=0){var f=document.getElementById('requote');if(f)f.submit();return}
var m=Math.floor(left/60),s=left%60;cd.textContent=m+':'+(s<10?'0':'')+s;left--;setTimeout(tick,1000)};tick()}
var root=document.querySelector('[data-poll]');
if(root){var state=root.getAttribute('data-state');setInterval(function(){fetch(root.getAttribute('data-poll'),{cache:'no-store'})
.then(function(r){return r.json()}).then(function(j){if(j.state!==state)location.reload()}).catch(function(){})},${POLL_SECONDS * 1000})}
})();`;

const PAGE_CSS = `
.brand{display:flex;align-items:center;gap:.75rem}.brand .logo{border-radius:8px;object-fit:contain}.merchant{font-weight:700;margin:0}
.amount{font-size:1.35rem;font-weight:700}.amount .copy{font-size:1rem;margin-left:.5rem}.qr img{display:block;max-width:100%;height:auto;image-rendering:pixelated}
fieldset{border:0;padding:0;margin:0}legend{font-weight:700;margin-bottom:.5rem}
label.option{font-weight:400;border:1px solid #d8dbe0;border-radius:8px;padding:.6rem;margin:.4rem 0}
progress{width:100%;height:1rem}.confirming{font-weight:700}
`;

async function renderPayerPage(
  reply: FastifyReply, q: Queryable, page: { link: LinkRow; now: Date; token: string; sandbox: boolean; note?: string; status?: number },
) {
  const { link, now, token, sandbox, note } = page;
  const view = await linkView(q, link);
  const last = await latestQuote(q, link.id);
  const d: PageData = { link, view, now, lastOption: last ? { currency: last.currency_from, network: last.network! } : undefined };
  const waiting = !FINAL_STATUSES.includes(link.status);
  const logoOrigin = link.logo_url ? new URL(link.logo_url).origin : undefined;
  return sendPage(reply, {
    title: `Pay ${view.amount} EUR${link.display_name ? ` to ${link.display_name}` : ''}`,
    sandbox,
    accent: link.accent_color ?? undefined,
    imageOrigins: logoOrigin ? [logoOrigin] : [],
    css: PAGE_CSS,
    head: waiting ? html`<noscript><meta http-equiv="refresh" content="${REFRESH_SECONDS}"></noscript>` : undefined,
    body: html`<div data-state="${stateOf(view, now)}"${waiting ? html` data-poll="/pay/${token}/status"` : ''}>
${header(d)}
<div id="status" role="status" aria-live="polite">${await body(d, token, note)}</div>
${waiting ? html`<p class="muted"><a href="/pay/${token}">Refresh status</a></p>` : ''}
</div>`,
    script: SCRIPT,
  }, page.status);
}

/** Payer pages: no API key, the token in the URL is the credential (a wrong one is a plain 404 page). */
export const payerPageRoutes: FastifyPluginAsync = async (app) => {
  const { db, config } = app.ctx;
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, text, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(text))));
  });
  const notFound = (reply: FastifyReply) =>
    sendPage(reply, { title: 'Payment link not found', sandbox: config.sandbox, body: html`<h1>Payment link not found</h1>
<p>Check the address, or ask the merchant for a new link.</p>` }, 404);

  app.get<{ Params: { token: string } }>('/pay/:token', { schema: { hide: true } }, async (request, reply) => {
    const found = await loadByToken(db, request.params.token);
    if (!found) return notFound(reply);
    return renderPayerPage(reply, db, { link: found.link, now: found.now, token: request.params.token, sandbox: config.sandbox });
  });

  app.get<{ Params: { token: string } }>('/pay/:token/status', { schema: { hide: true } }, async (request, reply) => {
    const found = await loadByToken(db, request.params.token);
    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    if (!found) return reply.code(404).send({ state: 'not-found' });
    const view = await linkView(db, found.link);
    const confirming = view.transactions.find((t) => t.status === 'CONFIRMING');
    return {
      state: stateOf(view, found.now), status: view.status, exception: view.exception, amountRemaining: view.amountRemaining,
      confirmations: confirming?.confirmations ?? null, requiredConfirmations: confirming?.requiredConfirmations ?? null,
    };
  });

  app.post<{ Params: { token: string }; Body: Record<string, string> | undefined }>('/pay/:token/quote', { schema: { hide: true } },
    async (request, reply) => {
      const [currency, network] = String(request.body?.option ?? '').split(':');
      const result = await db.tx(async (q) => {
        const found = await loadByToken(q, request.params.token);
        if (!found) return undefined;
        const link = (await lockLink(q, found.link.id))!;
        try {
          const option = paymentOption(currency ?? '', network);
          if (!findNetwork(CURRENCIES[option.currency], option.network)) throw new ApiError('P682');
          await newQuote(q, link, option, { fx: app.ctx.fx, now: found.now, secretKey: config.secretKey });
          return { ok: true as const };
        } catch (error) {
          if (error instanceof ApiError) return { ok: false as const, message: error.message, link, now: found.now };
          throw error;
        }
      });
      if (!result) return notFound(reply);
      if (result.ok) return reply.code(303).header('location', `/pay/${request.params.token}`).send();
      return renderPayerPage(reply, db, {
        link: result.link, now: result.now, token: request.params.token, sandbox: config.sandbox, note: result.message, status: 400,
      });
    });
};


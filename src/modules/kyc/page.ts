import multipart from '@fastify/multipart';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { ApiError } from '../../kernel/errors.js';
import { html, type Html } from '../../kernel/web/html.js';
import { sendPage } from '../../kernel/web/page.js';
import { readMultipart, type MultipartForm } from './files.js';
import {
  DOCUMENT_TYPES, decideVerification, openPage, pageConsent, pageDocument, pageSelfie, twoSided,
  type DocumentType, type KycContext, type KycVerificationRow,
} from './service.js';

/**
 * The hosted verification page (Method B): GET /kyc/verify/<token> shows the step the attempt is
 * at, and every form posts multipart/form-data back to the same URL (no JavaScript needed):
 * consent and document type, the document's sides, a selfie, then the result, with a link back
 * to the partner's redirectUrl. In the sandbox the result screen has approve and reject buttons.
 * The token is the credential (docs/kyc.md, "The hosted page").
 */

const DOCUMENT_NAMES: Record<DocumentType, string> = {
  ID_CARD: 'ID card', PASSPORT: 'Passport', RESIDENCE_PERMIT: 'Residence permit', DRIVER_LICENSE: "Driver's licence",
};
/** The same names inside a sentence. */
const inSentence = (t: DocumentType) => (t === 'ID_CARD' ? 'ID card' : DOCUMENT_NAMES[t].toLowerCase());
const STEPS = ['Consent', 'Document', 'Selfie', 'Result'] as const;

const progress = (current: number) => html`<ol class="steps" aria-label="Progress">${STEPS.map((name, i) =>
  html`<li${i === current ? html` aria-current="step"` : ''}>${i + 1}. ${name}${i < current ? ' ✓' : ''}</li>`)}</ol>`;

const errorBox = (message?: string) => (message
  ? html`<p class="error" role="alert" id="form-error">${message}</p>` : '');

const back = (url: string | null | undefined, partnerName: string | undefined) => (url
  ? html`<p><a class="button" href="${url}" rel="noreferrer">Return to ${partnerName ?? 'the service'}</a></p>`
  : html`<p class="muted">You can close this page now.</p>`);

/**
 * The only script, an enhancement: while a form uploads, its button says so and cannot be pressed
 * twice (disabled after the browser has taken the form's data, so a button's own value still goes).
 */
const SENDING_SCRIPT = `document.querySelectorAll('form').forEach(function (form) {
  form.addEventListener('submit', function (event) {
    var button = event.submitter || form.querySelector('button');
    form.setAttribute('aria-busy', 'true');
    if (button) { button.textContent = 'Sending…'; setTimeout(function () { button.disabled = true; }, 0); }
  });
});`;

function render(reply: FastifyReply, sandbox: boolean, title: string, body: Html, status = 200) {
  return sendPage(reply, { title, sandbox, body, script: SENDING_SCRIPT }, status);
}

/** Pages for links that no longer work: unknown, expired, or used. */
function deadLink(reply: FastifyReply, sandbox: boolean, state: 'invalid' | 'expired' | 'used', redirectUrl?: string | null, partnerName?: string) {
  const [status, heading, text] = state === 'invalid'
    ? [404, 'This link is not valid', 'Check that you opened the whole link you were given.']
    : state === 'expired'
      ? [410, 'This link has expired', 'Ask for a new verification link where you started.']
      : [410, 'This link has already been used', 'Your verification was already completed with this link.'];
  return render(reply, sandbox, heading, html`<div class="card"><h1>${heading}</h1><p>${text}</p>${back(redirectUrl, partnerName)}</div>`, status);
}

function stepPage(reply: FastifyReply, sandbox: boolean, v: KycVerificationRow, partnerName: string, error?: string) {
  const described = error ? html` aria-describedby="form-error"` : '';
  const status = error ? 400 : 200;
  if (v.page_step === 'CONSENT') {
    return render(reply, sandbox, 'Verify your identity', html`
${progress(0)}
<div class="card">
<h1>Verify your identity</h1>
<p>${partnerName} asks you to confirm who you are. You will take photos of an identity document and a selfie.
It takes about two minutes.</p>
${errorBox(error)}
<form method="post" enctype="multipart/form-data"${described}>
<input type="hidden" name="step" value="consent">
<label for="documentType">Document you will use</label>
<select id="documentType" name="documentType">
${DOCUMENT_TYPES.map((t) => html`<option value="${t}"${t === v.document_type ? html` selected` : ''}>${DOCUMENT_NAMES[t]}</option>`)}
</select>
<p><label><input type="checkbox" name="consent" value="yes" required> I agree that my document and my photo are processed to verify my identity.</label></p>
<button type="submit">Continue</button>
</form>
</div>`, status);
  }
  if (v.page_step === 'DOCUMENT') {
    const two = twoSided(v.document_type);
    const name = inSentence(v.document_type);
    return render(reply, sandbox, 'Photograph your document', html`
${progress(1)}
<div class="card">
<h1>Photograph your ${name}</h1>
${v.rejection_reason ? html`<p class="error" role="status">Please try again: ${v.rejection_reason.replaceAll('_', ' ').toLowerCase()}.</p>` : ''}
<p>Use a well-lit photo where all four corners are visible. JPEG or PNG (PDF for scans), up to 5 MB.</p>
${errorBox(error)}
<form method="post" enctype="multipart/form-data"${described}>
<input type="hidden" name="step" value="document">
<label for="front">${two ? `Front of the ${name}` : 'Photo page of the passport'}</label>
<input id="front" name="front" type="file" accept="image/jpeg,image/png,application/pdf" capture="environment" required>
${two ? html`<label for="back">Back of the ${name}</label>
<input id="back" name="back" type="file" accept="image/jpeg,image/png,application/pdf" capture="environment" required>` : ''}
<p><button type="submit">Upload</button></p>
</form>
</div>`, status);
  }
  if (v.page_step === 'SELFIE') {
    return render(reply, sandbox, 'Take a selfie', html`
${progress(2)}
<div class="card">
<h1>Take a selfie</h1>
<p>Look straight at the camera, without glasses or a hat. On a phone the front camera opens; elsewhere choose a photo.</p>
${errorBox(error)}
<form method="post" enctype="multipart/form-data"${described}>
<input type="hidden" name="step" value="selfie">
<label for="selfie">Selfie</label>
<input id="selfie" name="selfie" type="file" accept="image/*" capture="user" required>
<p class="muted">JPEG or PNG, up to 5 MB.</p>
<p><button type="submit">Send for verification</button></p>
</form>
</div>`, status);
  }
  return resultPage(reply, sandbox, v, partnerName);
}

function resultPage(reply: FastifyReply, sandbox: boolean, v: KycVerificationRow, partnerName: string) {
  let body: Html;
  if (v.attempt_status === 'SUCCESSFUL') {
    body = html`<h1>You are verified</h1><p class="ok" role="status">Your identity was confirmed.</p>`;
  } else if (v.attempt_status === 'REJECTED_BY_PROVIDER') {
    body = html`<h1>We could not verify you</h1>
<p class="error" role="status">Reason: ${(v.rejection_reason ?? 'not accepted').replaceAll('_', ' ').toLowerCase()}.</p>
<p>${v.retry_allowed ? `${partnerName} can start a new verification for you.` : 'Please contact ' + partnerName + '.'}</p>`;
  } else {
    body = html`<h1>Thank you</h1><p role="status">Your documents were sent. We are checking them; ${partnerName} will be told the result.</p>
${sandbox ? html`<form method="post" enctype="multipart/form-data" class="card">
<h2>Sandbox: decide as the provider</h2>
<p class="muted">Only on the sandbox. Real verifications are decided by the provider.</p>
<input type="hidden" name="step" value="decide">
<p><button type="submit" name="decision" value="APPROVE">Approve</button>
<button type="submit" name="decision" value="REJECT" class="secondary">Reject</button></p>
</form>` : ''}`;
  }
  return render(reply, sandbox, 'Verification result', html`${progress(3)}<div class="card">${body}${back(v.redirect_url, partnerName)}</div>`);
}

export const kycPageRoutes: FastifyPluginAsync = async (app) => {
  const { db, config } = app.ctx;
  const ctx: KycContext = { secretKey: config.secretKey, settings: config.kyc, sandbox: config.sandbox };
  const sandbox = config.sandbox;
  await app.register(multipart, { throwFileSizeLimit: false });

  // The token in the URL is a credential: these routes' request lines are not logged (warn and above only, without the URL).
  const logLevel = 'warn';
  app.get<{ Params: { token: string } }>('/kyc/verify/:token', { logLevel, schema: { hide: true } }, async (request, reply) => {
    return db.tx(async (q) => {
      const page = await openPage(q, request.params.token);
      if (page.state !== 'ok') return deadLink(reply, sandbox, page.state, page.redirectUrl, page.partnerName);
      return stepPage(reply, sandbox, page.verification, page.partnerName);
    });
  });

  app.post<{ Params: { token: string } }>('/kyc/verify/:token', { logLevel, schema: { hide: true } }, async (request, reply) => {
    let form: MultipartForm;
    try {
      form = await readMultipart(request, 2);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      form = { fields: {}, files: [], tooLarge: false, extraFiles: 1 };
    }
    // A refused step is answered with its page and the reason; what it wrote is rolled back.
    let refused: string | undefined;
    const answer = await db.tx(async (q) => {
      refused = undefined; // db.tx may run this again after a serialization failure
      const page = await openPage(q, request.params.token);
      if (page.state !== 'ok') return page;
      const { user, now } = page;
      let v = page.verification;
      const step = form.fields.step;
      await q.query('SAVEPOINT page_step');
      try {
        if (step === 'consent' && v.page_step === 'CONSENT') {
          const type = form.fields.documentType as DocumentType;
          if (form.fields.consent !== 'yes') throw new ApiError('P403', 'Tick the box to agree before you continue.');
          if (!DOCUMENT_TYPES.includes(type)) throw new ApiError('P403', 'Choose a document.');
          v = await pageConsent(q, v, type, now);
        } else if (step === 'document' && v.page_step === 'DOCUMENT') {
          v = await pageDocument(q, ctx, user, v, form, now);
        } else if (step === 'selfie' && v.page_step === 'SELFIE') {
          v = await pageSelfie(q, ctx, user, v, form, now);
        } else if (step === 'decide' && sandbox && v.page_step === 'SUBMITTED' && v.attempt_status === 'VERIFICATION') {
          v = await decideVerification(q, user, v, form.fields.decision === 'APPROVE'
            ? { decision: 'APPROVE' }
            : { decision: 'REJECT', reason: 'DOCUMENT_NOT_ACCEPTED', retryAllowed: true }, now);
        }
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        await q.query('ROLLBACK TO SAVEPOINT page_step');
        refused = pageMessage(error);
      }
      return { state: 'ok' as const, verification: v, partnerName: page.partnerName };
    });
    if (answer.state !== 'ok') return deadLink(reply, sandbox, answer.state, answer.redirectUrl, answer.partnerName);
    const v = answer.verification;
    // After a decision the link is spent: the answer to this post is the last page it shows.
    if (!v.open) return resultPage(reply, sandbox, v, answer.partnerName);
    return stepPage(reply, sandbox, v, answer.partnerName, refused);
  });
};

function pageMessage(error: ApiError): string {
  switch (error.code) {
    case 'P440': return 'A file is too large: each photo may be at most 5 MB.';
    case 'P426': return 'That file is not a JPEG or PNG photo (or a PDF scan). Please choose another file.';
    case 'P670': return 'Too many files: send one file per field.';
    default: return error.message;
  }
}

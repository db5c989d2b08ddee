import { verifyWebhook } from '../../src/index.js';

// A verified event's payload is typed by its event type (the contract's `webhooks` section).
const event = verifyWebhook({ token: 'wh_token', headers: {}, body: '{}' });
if (event.type === 'sepa_transfer.status') {
  const status: 'PENDING' | 'SUCCESSFUL' | 'FAILED' = event.payload.status;
  // error: TS2322 is not assignable to type 'number'
  const wrong: number = event.payload.status;
  // error: TS2339 Property 'cardId' does not exist
  console.log(status, wrong, event.payload.cardId);
}

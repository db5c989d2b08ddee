import { CentumWebhookError, verifyWebhook, type CentumWebhookEvent, type WebhookEventType } from '../../src/index.js';

// A receiver: verify the raw body, then switch on the event type.
export function receive(headers: Record<string, string | string[] | undefined>, rawBody: Buffer): number {
  let event: CentumWebhookEvent;
  try {
    event = verifyWebhook({ token: 'wh_token', headers, body: rawBody, toleranceSeconds: 120 });
  } catch (error) {
    if (error instanceof CentumWebhookError) return error.reason === 'stale-timestamp' ? 400 : 401;
    throw error;
  }
  const type: WebhookEventType = event.type;
  if (event.type === 'sepa_transfer.status') {
    const narrowed: 'sepa_transfer.status' = event.type;
    void narrowed;
  }
  void type;
  void event.payload;
  return 200;
}

/**
 * The one registry of error codes. P1xx-P5xx come from P100's documentation; P600-P699 are
 * Centum's own, for cases P100 does not document. `docs/errors.md` is generated from this table
 * (`npm run centum -- errors-doc`).
 */
export interface ErrorSpec {
  name?: string;
  status: number;
  message: string;
}

export const ERRORS = {
  P211: { name: 'poa-pending', status: 202, message: 'POA pending' },
  P403: { status: 400, message: 'Validation failed' },
  P410: { name: 'invalid-currency', status: 400, message: 'Currency not found' },
  P411: { name: 'user-exists', status: 400, message: 'User with this externalUserId already exists' },
  P412: { name: 'invalid-user', status: 400, message: 'User not exist' },
  P418: { name: 'partner-not-found', status: 400, message: 'Partner not found' },
  P424: { name: 'source-or-destination-required', status: 400, message: 'Source or destination must be provided.' },
  P426: { name: 'invalid-file-type', status: 400, message: 'Invalid file type' },
  P428: { name: 'sepa-transfer-not-found', status: 404, message: 'SEPA transfer not found' },
  P433: { name: 'insufficient-funds', status: 400, message: 'Insufficient funds' },
  P434: { name: 'invalid-card', status: 400, message: 'Card not exist' },
  P440: { name: 'file-too-large', status: 400, message: 'File too large' },
  P445: { name: 'kyc-not-found', status: 404, message: 'KYC not found' },
  P447: { name: 'poa-already-verified', status: 400, message: 'POA already verified' },
  P451: { name: 'forbidden-country-card', status: 400, message: 'User country not eligible for virtual cards' },
  P454: { name: 'suspension-not-possible', status: 400, message: 'Suspension is not possible due to active cards' },
  P455: { name: 'user-suspended', status: 400, message: 'User is suspended' },
  P459: { name: 'user-not-verified', status: 400, message: 'User not verified' },
  P460: { name: 'poa-verification-not-found', status: 404, message: 'POA verification not found' },
  P461: { name: 'user-not-extended', status: 400, message: 'User not extended' },
  P500: { name: 'unknown-exception', status: 400, message: 'Unknown exception' },
  P501: { name: 'service-temporarily-unavailable', status: 503, message: 'Service temporarily unavailable' },

  // Centum: platform (P600-P609)
  P600: { name: 'route-not-found', status: 404, message: 'No such endpoint' },
  P601: { name: 'idempotency-key-reused', status: 409, message: 'This Idempotency-Key was used with a different request' },
  P602: { name: 'idempotency-request-in-progress', status: 409, message: 'A request with this Idempotency-Key is still being processed' },
  P603: { name: 'rate-limit-exceeded', status: 429, message: 'Too many requests' },
  P604: { name: 'payload-too-large', status: 413, message: 'Request body is too large' },
  P605: { name: 'unsupported-media-type', status: 415, message: 'Content-Type must be application/json' },
  P606: { name: 'sandbox-disabled', status: 404, message: 'Sandbox endpoints are disabled on this server' },
  P607: { name: 'admin-unauthorized', status: 401, message: 'Missing or wrong operator token' },
  P608: { name: 'not-found', status: 404, message: 'Not found' },
  P609: { name: 'request-timeout', status: 408, message: 'The request did not arrive in time' },
  // Centum: ledger, balances, users (P610-P619)
  P610: { name: 'user-deleted', status: 400, message: 'User was deleted' },
  P611: { name: 'balance-not-found', status: 404, message: 'Balance not found' },
  P612: { name: 'fiat-balance-not-active', status: 400, message: 'Fiat balance is not active yet' },
  P613: { name: 'unknown-deposit-destination', status: 404, message: 'No balance owns this IBAN or address' },
  P614: { name: 'user-model-mismatch', status: 400, message: 'Operation not available for this user model' },
  P615: { name: 'amount-below-minimum', status: 400, message: 'Amount is below the minimum' },
  P616: { name: 'user-has-pending-operations', status: 400, message: 'User has operations in progress holding funds; retry when they finish' },
  P617: { name: 'kyc-already-decided', status: 400, message: 'User is not waiting for a KYC decision' },
  // Centum: exchange, transfers, orders (P620-P629)
  P620: { name: 'lock-not-found', status: 404, message: 'Rate lock not found' },
  P621: { name: 'lock-expired', status: 400, message: 'Rate lock has expired' },
  P622: { name: 'lock-already-used', status: 400, message: 'Rate lock was already used' },
  P623: { name: 'invalid-currency-pair', status: 400, message: 'Currency pair not supported' },
  P624: { name: 'exchange-not-found', status: 404, message: 'Exchange not found' },
  P625: { name: 'transfer-not-found', status: 404, message: 'Transfer not found' },
  P626: { name: 'order-not-found', status: 404, message: 'Order not found' },
  P627: { name: 'lock-mismatch', status: 400, message: 'Request does not match the rate lock' },
  P628: { name: 'same-source-and-destination', status: 400, message: 'Source and destination must differ' },
  // Centum: SEPA and crypto rails (P630-P649)
  P630: { name: 'invalid-iban', status: 400, message: 'IBAN is not valid' },
  P631: { name: 'invalid-address', status: 400, message: 'Address is not valid for this network' },
  P632: { name: 'invalid-network', status: 400, message: 'Network not supported for this currency' },
  P633: { name: 'crypto-withdrawal-not-found', status: 404, message: 'Crypto withdrawal not found' },
  P634: { name: 'crypto-deposit-not-found', status: 404, message: 'Crypto deposit not found' },
  P635: { name: 'travel-rule-not-required', status: 400, message: 'Deposit is not waiting for travel rule data' },
  P636: { name: 'wallet-exists', status: 400, message: 'Wallet already exists' },
  P637: { name: 'sepa-deposit-not-found', status: 404, message: 'SEPA deposit not found' },
  // Centum: webhooks (P650-P659)
  P650: { name: 'webhook-url-not-allowed', status: 400, message: 'Webhook URL points at a private network' },
  P651: { name: 'webhook-delivery-not-found', status: 404, message: 'Webhook delivery not found' },
  P652: { name: 'webhook-not-configured', status: 400, message: 'Set a webhook URL and enable webhooks first' },
  // Centum: cards (P660-P669)
  P660: { name: 'card-count-limit', status: 400, message: 'The user already has 10 cards that are not deleted' },
  P661: { name: 'card-creation-limit-day', status: 400, message: 'At most 5 cards may be created per user in 24 hours' },
  P662: { name: 'card-creation-limit-month', status: 400, message: 'At most 10 cards may be created per user in 30 days' },
  P663: { name: 'card-creation-limit-year', status: 400, message: 'At most 20 cards may be created per user in 12 months' },
  P664: { name: 'card-status-conflict', status: 400, message: 'The card status does not allow this operation' },
  P665: { name: 'card-authorization-not-found', status: 404, message: 'Card authorization not found' },
  P666: { name: 'card-authorization-resolved', status: 400, message: 'The authorization is not pending' },
  P667: { name: 'amount-exceeds-authorization', status: 400, message: 'The amount exceeds what the authorization allows' },
  P668: { name: 'invalid-card-limits', status: 400, message: 'Card limits are not consistent or above the maximum' },
  P669: { name: 'three-ds-not-pending', status: 400, message: 'The authorization is not waiting for a 3DS code' },
  // Centum: KYC, proof of address, files (P670-P679)
  P670: { name: 'too-many-files', status: 400, message: 'Too many files' },
  P671: { name: 'kyc-files-incomplete', status: 400, message: 'The document needs other files' },
  P672: { name: 'kyc-verification-open', status: 400, message: 'The user already has an open KYC verification' },
  P673: { name: 'kyc-verification-not-found', status: 404, message: 'KYC verification not found' },
  P674: { name: 'kyc-attempt-not-open', status: 400, message: 'The KYC attempt is not waiting for this' },
  P675: { name: 'poa-not-waiting', status: 400, message: 'The proof of address is not waiting for a review' },
  P676: { name: 'user-verification-exists', status: 400, message: 'Verification data was already accepted for this user' },
  P677: { name: 'multipart-expected', status: 400, message: 'Send the files as multipart/form-data' },
  // Centum: payment links and hosted checkout (P680-P689)
  P680: { name: 'payment-link-not-found', status: 404, message: 'Payment link not found' },
  P681: { name: 'payment-link-closed', status: 400, message: 'Payment link is completed or expired' },
  P682: { name: 'payment-currency-not-offered', status: 400, message: 'Payment links take btc, eth, ltc, doge, pol or usdc' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
  ) {
    super(message ?? ERRORS[code].message);
    this.status = ERRORS[code].status;
  }

  toBody(): { errorCode: string; errorName?: string; errorMessage: string } {
    const spec: ErrorSpec = ERRORS[this.code];
    return spec.name
      ? { errorCode: this.code, errorName: spec.name, errorMessage: this.message }
      : { errorCode: this.code, errorMessage: this.message };
  }
}

/** Validation failure in P100's format: P403, HTTP 400, no errorName, messages joined. */
export const validationError = (...messages: string[]) => new ApiError('P403', messages.join('. '));

/**
 * @centum/sdk: a typed client for the Centum server (P100 Partner API). Types are generated from the
 * contract (docs/openapi.json) and the server's registries; see README.md.
 */
export { createCentum, type CallInit, type CentumClient, type CentumMethod, type CentumOptions, type CentumResponse, type PathsWith } from './client.js';
export { CentumError, ERROR_CODES, isErrorCode, type ErrorCode, type ErrorName } from './errors.js';
export type { ItemOf, PageOf, PaginatedPath } from './pagination.js';
export {
  CentumWebhookError, DEFAULT_TOLERANCE_SECONDS, verifyWebhook, WEBHOOK_EVENT_PATHS,
  type CentumWebhookEvent, type VerifyWebhookOptions, type WebhookEventType, type WebhookFailure, type WebhookHeaders, type WebhookPayload,
} from './webhooks.js';
export type { components, operations, paths, webhooks } from './generated/openapi.js';
import type { components } from './generated/openapi.js';
/** A named schema of the contract, e.g. `Schema<'Transfer'>`. */
export type Schema<Name extends keyof components['schemas']> = components['schemas'][Name];

import type { CentumModule } from '../../platform/module.js';

/** Partners: created, listed and given new secrets by the operator (admin module, `centum partner`). */
export const partnersModule: CentumModule = { name: 'partners' };

export { createPartner, listPartners, rotateApiKey, rotateWebhookToken, type CreatedPartner, type PartnerRow } from './service.js';

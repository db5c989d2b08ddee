import type { CentumModule } from '../../platform/module.js';
import { EXPIRY_JOB, expireAuthorization } from './authorizations.js';
import { chargeMonthlyFee, FEE_JOB } from './fees.js';
import { cardRoutes } from './routes.js';
import { sandboxCardRoutes } from './sandbox.js';
import { Card3dsCodeWebhook, CardActivationCodeWebhook, CardTransactionWebhook } from './schemas.js';

/**
 * Virtual cards: issuing with card data kept as an issuer must, limits, block/unblock/delete, and a
 * simulated card network in the sandbox (authorizations as holds, 3DS, capture, increment,
 * reversal, expiry, refund); the monthly card fee.
 */
export const cardsModule: CentumModule = {
  name: 'cards',
  routes: cardRoutes,
  sandboxRoutes: sandboxCardRoutes,
  jobs: { [EXPIRY_JOB]: expireAuthorization, [FEE_JOB]: chargeMonthlyFee },
  webhooks: {
    'card_transaction.status': CardTransactionWebhook, 'card.3ds_code': Card3dsCodeWebhook, 'card.activation_code': CardActivationCodeWebhook,
  },
};

export { EXPIRY_JOB, FEE_JOB };
export { CardTransactionWebhook, Card3dsCodeWebhook, CardActivationCodeWebhook };

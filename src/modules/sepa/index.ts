import type { CentumModule } from '../../platform/module.js';
import { REVIEW_JOB, reviewDeposit } from './deposits.js';
import { PartnerSepaTransferWebhook, SepaDepositWebhook, sepaRoutes, SepaTransferWebhook } from './routes.js';
import { sandboxSepaRoutes } from './sandbox.js';
import { SETTLE_JOB, settleTransfer } from './transfers.js';

/** SEPA: deposit info and contacts, outgoing transfers settled by the simulated clearing, incoming deposits. */
export const sepaModule: CentumModule = {
  name: 'sepa',
  routes: sepaRoutes,
  sandboxRoutes: sandboxSepaRoutes,
  jobs: { [REVIEW_JOB]: reviewDeposit, [SETTLE_JOB]: settleTransfer },
  webhooks: {
    'partner_sepa_transfer.status': PartnerSepaTransferWebhook,
    'sepa_transfer.status': SepaTransferWebhook,
    'sepa_deposit.status': SepaDepositWebhook,
  },
};

export { REVIEW_JOB, SETTLE_JOB };

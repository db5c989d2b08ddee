import type { CentumModule } from '../../platform/module.js';
import { CONFIRM_JOB as DEPOSIT_CONFIRM_JOB, confirmDeposit } from './deposits.js';
import { CryptoDepositWebhook, cryptoRoutes, CryptoWithdrawalWebhook } from './routes.js';
import { sandboxCryptoRoutes } from './sandbox.js';
import { CONFIRM_JOB as WITHDRAWAL_CONFIRM_JOB, confirmWithdrawal } from './withdrawals.js';

/** Crypto: withdrawals and deposits confirmed block by block by the simulated chains, the travel rule. */
export const cryptoModule: CentumModule = {
  name: 'crypto',
  routes: cryptoRoutes,
  sandboxRoutes: sandboxCryptoRoutes,
  jobs: { [DEPOSIT_CONFIRM_JOB]: confirmDeposit, [WITHDRAWAL_CONFIRM_JOB]: confirmWithdrawal },
  webhooks: { 'crypto_withdrawal.status': CryptoWithdrawalWebhook, 'crypto_deposit.status': CryptoDepositWebhook },
};

export { DEPOSIT_CONFIRM_JOB, WITHDRAWAL_CONFIRM_JOB };
export { cryptoCurrency, cryptoNetwork } from './currency.js';

import type { CentumModule } from '../../platform/module.js';
import { CREATE_JOB, createWallet, walletRoutes, WalletWebhook } from './routes.js';

/** Create Wallet: a partner's deposit address for a network added after the partner was created. */
export const walletsModule: CentumModule = {
  name: 'wallets', routes: walletRoutes, jobs: { [CREATE_JOB]: createWallet }, webhooks: { 'wallet.status': WalletWebhook },
};

export { CREATE_JOB };

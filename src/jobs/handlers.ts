/**
 * Imports every module that registers job handlers, so a worker process knows all job kinds.
 * Add a line here when a module calls registerJob.
 */
export {};
import '../modules/sepa/deposits.js';
import '../modules/sepa/transfers.js';
import '../modules/crypto/deposits.js';
import '../modules/crypto/withdrawals.js';
import '../modules/wallets/routes.js';
import '../modules/orders/service.js';
import '../modules/webhooks/engine.js';

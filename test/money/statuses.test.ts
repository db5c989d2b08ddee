import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BalanceStatus, CardAuthorizationStatus, CardChannel, CardStatus, CryptoDepositStatus, CryptoWithdrawalStatus, ExchangeStatus, HoldStatus,
  KycAttemptStatus, KycVerificationStatus, OrderStatus, PaymentLinkStatus, PaymentLinkTransactionStatus, PoaStatus, SepaDepositStatus,
  SepaTransferStatus, TransferStatus, UserStatus, valuesOf,
} from '../../src/kernel/statuses.js';
import { startTestApp, type TestApp } from '../support/app.js';

/** Each status union says what its column's CHECK constraint says, no more and no less. */

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const COLUMNS: [table: string, column: string, values: string[]][] = [
  ['users', 'status', valuesOf(UserStatus)],
  ['users', 'status_before_suspension', valuesOf(UserStatus).filter((s) => s !== UserStatus.SUSPENDED && s !== UserStatus.DELETED)],
  ['accounts', 'status', valuesOf(BalanceStatus)],
  ['transfers', 'status', valuesOf(TransferStatus)],
  ['exchanges', 'status', valuesOf(ExchangeStatus)],
  ['orders', 'status', valuesOf(OrderStatus)],
  ['sepa_transfers', 'status', valuesOf(SepaTransferStatus)],
  ['sepa_deposits', 'status', valuesOf(SepaDepositStatus)],
  ['crypto_withdrawals', 'status', valuesOf(CryptoWithdrawalStatus)],
  ['crypto_deposits', 'status', valuesOf(CryptoDepositStatus)],
  ['holds', 'status', valuesOf(HoldStatus)],
  ['payment_links', 'status', valuesOf(PaymentLinkStatus)],
  ['payment_link_transactions', 'status', valuesOf(PaymentLinkTransactionStatus)],
  ['kyc_verifications', 'verification_status', valuesOf(KycVerificationStatus)],
  ['kyc_verifications', 'attempt_status', valuesOf(KycAttemptStatus)],
  ['poa_verifications', 'status', valuesOf(PoaStatus)],
  ['cards', 'status', valuesOf(CardStatus)],
  ['cards', 'status_before_suspension', valuesOf(CardStatus).filter((s) => s !== CardStatus.SUSPENDED && s !== CardStatus.DELETED)],
  ['card_authorizations', 'status', valuesOf(CardAuthorizationStatus)],
  ['card_authorizations', 'channel', valuesOf(CardChannel)],
];

describe('status unions', () => {
  it.each(COLUMNS)('%s.%s matches its CHECK constraint', async (table, column, values) => {
    const rows = await t.db.query<{ def: string }>(
      `SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
       WHERE c.conrelid = $1::regclass AND c.contype = 'c' AND pg_get_constraintdef(c.oid) ~ ('\\m' || $2 || '\\M')`,
      [table, column],
    );
    expect(rows.length, `one CHECK on ${table}.${column}`).toBe(1);
    const named = [...rows[0].def.matchAll(/'([A-Z0-9_]+)'/g)].map((m) => m[1]);
    expect(named.sort()).toEqual([...values].sort());
  });
});

import { CRYPTO_CODES, CURRENCIES, type ChainFamily, type CurrencyCode } from '../../kernel/currencies.js';
import type { Queryable } from '../../kernel/db.js';
import { formatAmount } from '../../kernel/money.js';
import { BalanceStatus } from '../../kernel/statuses.js';
import { available, listAccounts, openAccount, type Owner } from '../../ledger/index.js';
import { deriveAddress } from '../../rails/chains/addresses.js';
import type { RateSource } from '../../rails/fx/rates.js';
import { ibanFor } from '../../rails/sepa/iban.js';


const familiesOf = (currency: CurrencyCode): ChainFamily[] => [...new Set(CURRENCIES[currency].networks.map((n) => n.family))];

/** Next HD address index, shared by partners and users so no two owners share an address. */
export async function nextAddressIndex(q: Queryable): Promise<number> {
  const [row] = await q.query<{ n: bigint }>(`SELECT nextval('address_index_seq') AS n`);
  return Number(row.n);
}

export async function issueIban(q: Queryable): Promise<string> {
  const [row] = await q.query<{ n: bigint }>(`SELECT nextval('iban_seq') AS n`);
  return ibanFor(row.n);
}

/**
 * Opens an owner's balances: EUR (active with an IBAN, or waiting for KYC without one) unless
 * `fiat` is 'none', and every crypto currency with its deposit addresses.
 */
export async function openBalances(
  q: Queryable,
  secretKey: string,
  owner: Owner,
  addressIndex: number,
  fiat: 'active' | 'waiting' | 'none',
): Promise<void> {
  if (fiat !== 'none') {
    await openAccount(q, owner, 'eur', fiat === 'active'
      ? { status: BalanceStatus.ACTIVE, iban: await issueIban(q) }
      : { status: BalanceStatus.WAITING_TO_BE_ACTIVATED });
  }
  for (const currency of CRYPTO_CODES) await openAccount(q, owner, currency, { status: BalanceStatus.ACTIVE });
  const families = [...new Set(CRYPTO_CODES.flatMap(familiesOf))];
  for (const family of families) {
    const { address, path } = deriveAddress(secretKey, family, addressIndex);
    await q.query(
      `INSERT INTO wallet_addresses (family, address, partner_id, user_id, derivation_path) VALUES ($1, $2, $3, $4, $5)`,
      [family, address, owner.partnerId, owner.userId ?? null, path],
    );
  }
}

/** Deposit addresses of an owner by chain family. */
export async function ownerAddresses(q: Queryable, owner: Owner): Promise<Map<string, string>> {
  const rows = await q.query<{ family: string; address: string }>(
    // Both columns of the wallet_addresses_owner index, so a partner with many users costs the same.
    'SELECT family, address FROM wallet_addresses WHERE partner_id = $1 AND coalesce(user_id, partner_id) = $2',
    [owner.partnerId, owner.userId ?? owner.partnerId],
  );
  return new Map(rows.map((r) => [r.family, r.address]));
}

export interface NetworkConfigView {
  mainnet: boolean;
  name: string;
  withdrawal: { feeWithdrawal: number; minWithdrawal: number };
  deposit: { minDeposit: number };
}

export function networkConfigOf(currency: CurrencyCode): Record<string, NetworkConfigView> {
  return Object.fromEntries(
    CURRENCIES[currency].networks.map((n) => [
      n.code,
      {
        mainnet: n.mainnet,
        name: n.name,
        withdrawal: { feeWithdrawal: Number(n.feeWithdrawal), minWithdrawal: Number(n.minWithdrawal) },
        deposit: { minDeposit: Number(n.minDeposit) },
      },
    ]),
  );
}

/** EUR value of one unit, as a JSON number at the currency's scale (P100's `rate`). */
export const eurRate = (rates: RateSource, currency: CurrencyCode, at: Date): number =>
  Number(rates.eurValue(currency, at).toDecimalPlaces(CURRENCIES[currency].scale).toString());

/** The Get Balances body (`fiatBalances`, `cryptoBalances`) of a partner or a user. */
export async function balancesView(q: Queryable, owner: Owner, { at, rates }: { at: Date; rates: RateSource }) {
  const [accounts, addresses] = await Promise.all([listAccounts(q, owner), ownerAddresses(q, owner)]);
  const fiatBalances = [];
  const cryptoBalances = [];
  for (const account of accounts) {
    const currency = CURRENCIES[account.currency];
    const amount = formatAmount(available(account), currency.scale);
    if (currency.kind === 'FIAT') {
      fiatBalances.push({ id: account.id, amount, name: currency.code, rate: 1, iban: account.iban, status: account.status });
    } else {
      const family = currency.networks[0]?.family;
      cryptoBalances.push({
        id: account.id,
        amount,
        name: currency.code,
        wallet: (family && addresses.get(family)) ?? null,
        rate: eurRate(rates, currency.code, at),
        status: account.status,
        networkConfig: networkConfigOf(currency.code),
      });
    }
  }
  return { fiatBalances, cryptoBalances };
}

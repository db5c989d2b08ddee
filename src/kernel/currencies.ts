/**
 * Currency and network catalogue (data, not code). Scales follow the spec's balance examples;
 * fees and minimums follow the staging examples and the Fees page (see docs/decisions.md).
 * Amounts here are decimal strings so they convert to minor units exactly.
 */
export type CurrencyCode = 'eur' | 'btc' | 'eth' | 'ltc' | 'doge' | 'pol' | 'usdc' | 'usdt';
export type NetworkCode = 'btc' | 'ltc' | 'doge' | 'ethereum' | 'polygon';
/** Address families: one derived address per owner and family. */
export type ChainFamily = 'btc' | 'ltc' | 'doge' | 'evm';

export interface NetworkConfig {
  code: NetworkCode;
  family: ChainFamily;
  mainnet: boolean;
  /** Testnet (or mainnet) name as shown in `networkConfig.<net>.name`. */
  name: string;
  feeWithdrawal: string;
  minWithdrawal: string;
  minDeposit: string;
  /** Simulated network fee quoted by Get Network Fee. */
  networkFee: string;
  /** Confirmations the simulated chain needs before a transaction is final. */
  confirmations: number;
  /** Seconds between simulated blocks. */
  blockSeconds: number;
}

export interface Currency {
  code: CurrencyCode;
  kind: 'FIAT' | 'CRYPTO';
  scale: number;
  /** Networks in preference order; the first is the default when a request omits `network`. */
  networks: NetworkConfig[];
}

const net = (n: Omit<NetworkConfig, 'mainnet'>): NetworkConfig => ({ mainnet: false, ...n });

const ethereum = { code: 'ethereum', family: 'evm', name: 'sepolia', confirmations: 12, blockSeconds: 12 } as const;
const polygon = { code: 'polygon', family: 'evm', name: 'amoy', confirmations: 32, blockSeconds: 2 } as const;

export const CURRENCIES: Record<CurrencyCode, Currency> = {
  eur: { code: 'eur', kind: 'FIAT', scale: 2, networks: [] },
  btc: {
    code: 'btc', kind: 'CRYPTO', scale: 8,
    networks: [net({ code: 'btc', family: 'btc', name: 'test', feeWithdrawal: '0.0003', minWithdrawal: '0.000001', minDeposit: '0', networkFee: '0.000012', confirmations: 2, blockSeconds: 600 })],
  },
  eth: {
    code: 'eth', kind: 'CRYPTO', scale: 8,
    networks: [net({ ...ethereum, feeWithdrawal: '0.003', minWithdrawal: '0.0006', minDeposit: '0', networkFee: '0.000469' })],
  },
  ltc: {
    code: 'ltc', kind: 'CRYPTO', scale: 8,
    networks: [net({ code: 'ltc', family: 'ltc', name: 'test', feeWithdrawal: '0.002', minWithdrawal: '0.001', minDeposit: '0', networkFee: '0.0001', confirmations: 6, blockSeconds: 150 })],
  },
  doge: {
    code: 'doge', kind: 'CRYPTO', scale: 8,
    networks: [net({ code: 'doge', family: 'doge', name: 'test', feeWithdrawal: '5', minWithdrawal: '0.01', minDeposit: '0', networkFee: '1', confirmations: 6, blockSeconds: 60 })],
  },
  pol: {
    code: 'pol', kind: 'CRYPTO', scale: 8,
    networks: [net({ ...polygon, feeWithdrawal: '0.001', minWithdrawal: '0.00005', minDeposit: '0', networkFee: '0.01' })],
  },
  usdc: {
    code: 'usdc', kind: 'CRYPTO', scale: 6,
    networks: [
      net({ ...ethereum, feeWithdrawal: '10', minWithdrawal: '1', minDeposit: '5', networkFee: '2.5' }),
      net({ ...polygon, feeWithdrawal: '0.5', minWithdrawal: '2', minDeposit: '0', networkFee: '0.01' }),
    ],
  },
  usdt: {
    code: 'usdt', kind: 'CRYPTO', scale: 6,
    networks: [
      net({ ...ethereum, feeWithdrawal: '10', minWithdrawal: '1', minDeposit: '5', networkFee: '2.5' }),
      net({ ...polygon, feeWithdrawal: '0.5', minWithdrawal: '2', minDeposit: '0', networkFee: '0.01' }),
    ],
  },
};

export const CURRENCY_CODES = Object.keys(CURRENCIES) as CurrencyCode[];
export const CRYPTO_CODES = CURRENCY_CODES.filter((c) => CURRENCIES[c].kind === 'CRYPTO');
/** Every network, in catalogue order (the contract's enum of network fields). */
export const NETWORK_CODES = [...new Set(Object.values(CURRENCIES).flatMap((c) => c.networks.map((n) => n.code)))] as NetworkCode[];

/**
 * Looks a currency up by slug in any case; undefined when unknown. Own keys only: "constructor" or
 * "__proto__" must not find Object.prototype's members.
 */
export function findCurrency(value: string): Currency | undefined {
  const code = value.toLowerCase();
  return Object.hasOwn(CURRENCIES, code) ? CURRENCIES[code as CurrencyCode] : undefined;
}

/** The network of a crypto currency: `network` in any case, or the default when omitted. */
export function findNetwork(currency: Currency, network?: string | null): NetworkConfig | undefined {
  if (!network) return currency.networks[0];
  return currency.networks.find((n) => n.code === network.toLowerCase());
}

import { Type } from '@sinclair/typebox';
import { CRYPTO_CODES, CURRENCIES, CURRENCY_CODES } from '../../kernel/currencies.js';
import { Nullable, StringEnum, Uuid } from '../../kernel/schemas.js';
import { BalanceStatus, valuesOf } from '../../kernel/statuses.js';

const NetworkConfig = Type.Object({
  mainnet: Type.Boolean({ description: 'false: a testnet' }),
  name: Type.String({ description: 'The chain\'s name', examples: ['sepolia'] }),
  withdrawal: Type.Object({
    feeWithdrawal: Type.Number({ description: 'Service fee per withdrawal, in the currency', examples: [0.003] }),
    minWithdrawal: Type.Number({ examples: [0.0006] }),
  }),
  deposit: Type.Object({ minDeposit: Type.Number({ examples: [0] }) }),
}, { title: 'NetworkConfig', description: 'Fees and minimums of one network of a crypto currency' });

const BalanceStatusEnum = StringEnum(valuesOf(BalanceStatus), { description: 'ACTIVE moves money; a KYC user\'s EUR waits for the KYC decision' });

export const FiatBalance = Type.Object({
  id: Uuid,
  amount: Type.String({ description: 'Available funds, decimal string at the currency scale', examples: ['97.96'] }),
  name: StringEnum(CURRENCY_CODES.filter((c) => CURRENCIES[c].kind === 'FIAT'), { description: 'Currency slug', examples: ['eur'] }),
  rate: Type.Number({ description: 'EUR value of one unit', examples: [1] }),
  iban: Nullable(Type.String({ examples: ['PL61109010140000071219812874'] })),
  status: BalanceStatusEnum,
}, { title: 'FiatBalance', description: 'A EUR balance; its IBAN receives SEPA payments' });

export const CryptoBalance = Type.Object({
  id: Uuid,
  amount: Type.String({ examples: ['0.00450304'] }),
  name: StringEnum(CRYPTO_CODES, { description: 'Currency slug', examples: ['btc'] }),
  wallet: Nullable(Type.String({ description: 'Deposit address', examples: ['tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx'] })),
  rate: Type.Number({ description: 'EUR value of one unit', examples: [61250.5] }),
  status: BalanceStatusEnum,
  networkConfig: Type.Record(Type.String(), NetworkConfig, { description: 'By network code (ethereum, polygon, btc, ...)' }),
}, { title: 'CryptoBalance', description: 'A crypto balance with its deposit address' });

export const Balances = Type.Object({
  fiatBalances: Type.Array(FiatBalance),
  cryptoBalances: Type.Array(CryptoBalance),
}, { title: 'Balances', description: 'The owner\'s balances: EUR and one per crypto currency' });

import { Type } from '@sinclair/typebox';
import { Nullable, Uuid } from '../../kernel/schemas.js';
import { BalanceStatus } from '../../kernel/statuses.js';

const NetworkConfig = Type.Object({
  mainnet: Type.Boolean(),
  name: Type.String(),
  withdrawal: Type.Object({ feeWithdrawal: Type.Number(), minWithdrawal: Type.Number() }),
  deposit: Type.Object({ minDeposit: Type.Number() }),
});

export const FiatBalance = Type.Object({
  id: Uuid,
  amount: Type.String({ description: 'Available funds, decimal string at the currency scale', examples: ['97.96'] }),
  name: Type.String({ examples: ['eur'] }),
  rate: Type.Number({ description: 'EUR value of one unit' }),
  iban: Nullable(Type.String()),
  status: Type.String({ examples: [BalanceStatus.ACTIVE, BalanceStatus.WAITING_TO_BE_ACTIVATED] }),
});

export const CryptoBalance = Type.Object({
  id: Uuid,
  amount: Type.String({ examples: ['0.00450304'] }),
  name: Type.String({ examples: ['btc'] }),
  wallet: Nullable(Type.String({ description: 'Deposit address' })),
  rate: Type.Number({ description: 'EUR value of one unit' }),
  status: Type.String({ examples: [BalanceStatus.ACTIVE] }),
  networkConfig: Type.Record(Type.String(), NetworkConfig),
});

export const Balances = Type.Object({
  fiatBalances: Type.Array(FiatBalance),
  cryptoBalances: Type.Array(CryptoBalance),
});

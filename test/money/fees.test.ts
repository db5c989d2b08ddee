import { describe, expect, it } from 'vitest';
import { CURRENCIES, findNetwork, type CurrencyCode } from '../../src/kernel/currencies.js';
import { Decimal } from '../../src/kernel/money.js';
import {
  cryptoWithdrawalFees, exchangeFeeOf, networkFeeQuote, orderQuote, orderRateOf, orderSettlement, sepaTransferFee,
} from '../../src/money/fees.js';

/** Every fee against figures worked out by hand, in exact minor units. */

const sepa = { sepaFeePercent: new Decimal('0.1'), sepaFeeMinCents: 100n };
const fx = { feeFraction: new Decimal('0.0149') };

describe('fees', () => {
  it('SEPA transfer: 0.1 % rounded up to the cent, at least 1.00 EUR', () => {
    const cases: [bigint, bigint][] = [
      [1n, 100n], // 0.01 EUR: the minimum
      [5000n, 100n], // 50.00 EUR: 0.05 -> the minimum
      [100000n, 100n], // 1000.00 EUR: exactly 1.00
      [100001n, 101n], // 1000.01 EUR: 1.00001 rounds up
      [123456n, 124n], // 1234.56 EUR: 1.23456 rounds up
      [200000n, 200n], // 2000.00 EUR
      [10n ** 15n, 10n ** 12n], // the largest amount a request may carry
    ];
    for (const [amount, fee] of cases) expect([amount, sepaTransferFee(amount, sepa)]).toEqual([amount, fee]);
    expect(sepaTransferFee(5000n, { sepaFeePercent: new Decimal('0.25'), sepaFeeMinCents: 250n })).toBe(250n);
    expect(sepaTransferFee(200000n, { sepaFeePercent: new Decimal('0.25'), sepaFeeMinCents: 250n })).toBe(500n);
  });

  it('exchange: 1.49 % of amountFrom, rounded up to the minor unit of currencyFrom', () => {
    expect(exchangeFeeOf(10000n, fx)).toBe(149n); // 100.00 EUR -> 1.49
    expect(exchangeFeeOf(10001n, fx)).toBe(150n); // 149.0149 rounds up
    expect(exchangeFeeOf(100000000n, fx)).toBe(1490000n); // 1 BTC -> 0.0149
    expect(exchangeFeeOf(1n, fx)).toBe(1n);
  });

  it('order: rate after the fee, crypto due rounded up, fee at the mid rate', () => {
    expect(orderRateOf(new Decimal('85000.123456789'), fx).toString()).toBe('83733.6216172');
    const pricing = { scale: 8, rate: '83733.6216172', mid: '85000' };
    // 100.00 EUR / 83733.6216172 = 0.00119426...: 119427 satoshi; their mid value 101.51 EUR.
    expect(orderQuote(10000n, pricing)).toEqual({ amountRequired: 119427n, fee: 151n });
    // 0.001 BTC arrives: 85.00 EUR at mid, 83.73 credited, 1.27 fee.
    expect(orderSettlement(100000n, pricing)).toEqual({ gross: 8500n, credited: 8373n, fee: 127n });
  });

  it('crypto withdrawal: service fee and network fee from the catalogue, in minor units', () => {
    const fees = (code: CurrencyCode, network?: string) => {
      const currency = CURRENCIES[code];
      const net = findNetwork(currency, network)!;
      return { ...cryptoWithdrawalFees(currency, net), quote: networkFeeQuote(currency, net) };
    };
    expect(fees('btc')).toEqual({ serviceFee: 30000n, networkFee: 1200n, quote: 1200n }); // 0.0003 + 0.000012 BTC
    expect(fees('eth')).toEqual({ serviceFee: 300000n, networkFee: 46900n, quote: 46900n }); // 0.003 + 0.000469 ETH
    expect(fees('doge')).toEqual({ serviceFee: 500000000n, networkFee: 100000000n, quote: 100000000n }); // 5 + 1 DOGE
    expect(fees('usdc', 'ethereum')).toEqual({ serviceFee: 10000000n, networkFee: 2500000n, quote: 2500000n }); // 10 + 2.5 USDC
    expect(fees('usdc', 'polygon')).toEqual({ serviceFee: 500000n, networkFee: 10000n, quote: 10000n }); // 0.5 + 0.01 USDC
  });
});

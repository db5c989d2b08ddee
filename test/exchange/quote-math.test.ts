import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convertDown, convertUpInverse, feeOf } from '../../src/money/arithmetic.js';

/** The integer conversions against exact decimal arithmetic, for arbitrary amounts and rates. */
const D = Decimal.clone({ precision: 80 });
const scale = fc.constantFrom(2, 6, 8);
const amount = fc.bigInt({ min: 1n, max: 10n ** 18n });
// Rates from 1e-9 to 1e7 with up to 12 significant digits, as quotes are.
const rate = fc.tuple(fc.bigInt({ min: 1n, max: 999_999_999_999n }), fc.integer({ min: -2, max: 20 }))
  .map(([digits, shift]) => new D(digits.toString()).div(new D(10).pow(shift)).toSignificantDigits(12));
const unit = (s: number) => new D(10).pow(-s);

describe('exchange arithmetic', () => {
  it('convertDown is the exact product rounded down (never more than the true value)', () => {
    fc.assert(fc.property(amount, scale, rate, scale, (a, from, r, to) => {
      const exact = new D(a.toString()).mul(unit(from)).mul(r);
      const got = new D(convertDown(a, from, r.toFixed(), to).toString()).mul(unit(to));
      expect(got.lte(exact)).toBe(true);
      expect(exact.sub(got).lt(unit(to))).toBe(true);
    }));
  });

  it('convertUpInverse is the exact quotient rounded up (the payer never pays less)', () => {
    fc.assert(fc.property(amount, scale, rate, scale, (a, from, r, to) => {
      const exact = new D(a.toString()).mul(unit(from)).div(r);
      const got = new D(convertUpInverse(a, from, r.toFixed(), to).toString()).mul(unit(to));
      expect(got.gte(exact)).toBe(true);
      expect(got.sub(exact).lt(unit(to))).toBe(true);
    }));
  });

  it('the fee is the exact percentage rounded up', () => {
    const fraction = fc.integer({ min: 0, max: 499_999 }).map((n) => new D(n).div(1_000_000));
    fc.assert(fc.property(amount, fraction, (a, f) => {
      const exact = new D(a.toString()).mul(f);
      const got = new D(feeOf(a, new Decimal(f.toString())).toString());
      expect(got.gte(exact)).toBe(true);
      expect(got.sub(exact).lt(1)).toBe(true);
    }));
  });
});

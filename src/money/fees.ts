import type { Currency, NetworkConfig } from '../kernel/currencies.js';
import { Decimal, toMinor } from '../kernel/money.js';
import { convertDown, convertUpInverse, feeOf, RATE_DIGITS } from './arithmetic.js';

/**
 * Every fee Centum charges, as pure functions of the amount and the settings or catalogue entry
 * that price it (the caller passes the app's: `config.rails`, `fx.feeFraction`, the
 * currency catalogue). Fees are rounded up to the minor unit; what the customer receives is
 * rounded down. What each operation posts with these fees is in ./postings.ts.
 */

/** SEPA pricing (the rail settings have these fields). */
export interface SepaFeeSettings {
  /** Percent of the amount (0.1 means 0.1 %). */
  sepaFeePercent: Decimal;
  /** Least fee, in EUR cents. */
  sepaFeeMinCents: bigint;
}

/** Outgoing SEPA transfer: `sepaFeePercent` % of the amount rounded up to the cent, at least the minimum. */
export function sepaTransferFee(amount: bigint, settings: SepaFeeSettings): bigint {
  const fee = feeOf(amount, settings.sepaFeePercent.div(100));
  return fee > settings.sepaFeeMinCents ? fee : settings.sepaFeeMinCents;
}

/** Exchange and order pricing: the fee as a fraction (1.49 % is 0.0149). */
export interface FxFeeSettings {
  feeFraction: Decimal;
}

/** Exchange: the fee in `currencyFrom`, taken before conversion: amountFrom × fee, rounded up. */
export function exchangeFeeOf(amountFrom: bigint, settings: FxFeeSettings): bigint {
  return feeOf(amountFrom, settings.feeFraction);
}

/** Order: EUR per unit of crypto the payer gets, mid × (1 − fee), 12 significant digits rounded down. */
export function orderRateOf(mid: Decimal, settings: FxFeeSettings): Decimal {
  return mid.mul(new Decimal(1).sub(settings.feeFraction)).toSignificantDigits(RATE_DIGITS, Decimal.ROUND_DOWN);
}

/** An order's two rates and the scale of its crypto. */
export interface OrderPricing {
  scale: number;
  /** EUR per unit after the fee (`orderRateOf`). */
  rate: Decimal | string;
  /** EUR per unit at the mid rate. */
  mid: Decimal | string;
}

/**
 * Order lock: the crypto due for `eurAmount` (EUR / rate, rounded up) and the fee it carries
 * (the due crypto at the mid rate, rounded down, less the EUR the partner is promised).
 */
export function orderQuote(eurAmount: bigint, pricing: OrderPricing): { amountRequired: bigint; fee: bigint } {
  const amountRequired = convertUpInverse(eurAmount, 2, pricing.rate, pricing.scale);
  return { amountRequired, fee: convertDown(amountRequired, pricing.scale, pricing.mid, 2) - eurAmount };
}

/**
 * Order settlement of the crypto that arrived: its EUR value at the mid rate (`gross`, rounded
 * down), what the partner is credited at the locked rate (`credited`, rounded down), and the fee,
 * the difference.
 */
export function orderSettlement(received: bigint, pricing: OrderPricing): { gross: bigint; credited: bigint; fee: bigint } {
  const gross = convertDown(received, pricing.scale, pricing.mid, 2);
  const credited = convertDown(received, pricing.scale, pricing.rate, 2);
  return { gross, credited, fee: gross - credited };
}

/** A crypto network's fee as Get Network Fee quotes it: the catalogue's `networkFee`, in minor units. */
export function networkFeeQuote(currency: Currency, network: NetworkConfig): bigint {
  return toMinor(network.networkFee, currency.scale);
}

/**
 * Crypto withdrawal, charged on top of the amount the recipient gets: the service fee
 * (catalogue `feeWithdrawal`) and the network fee (`networkFeeQuote`).
 */
export function cryptoWithdrawalFees(currency: Currency, network: NetworkConfig): { serviceFee: bigint; networkFee: bigint } {
  return { serviceFee: toMinor(network.feeWithdrawal, currency.scale), networkFee: networkFeeQuote(currency, network) };
}

/** Card pricing (the card settings have this field). */
export interface CardFeeSettings {
  /** Monthly fee per card, EUR cents. */
  feeCents: bigint;
}

/** Virtual card: the fee for one card and one month, charged to the partner's EUR balance. */
export function cardMonthlyFee(settings: CardFeeSettings): bigint {
  return settings.feeCents;
}

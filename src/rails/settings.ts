import { ConfigError } from '../config.js';
import { Decimal } from '../kernel/money.js';

/**
 * Settings of the simulated rails, read once from the environment (kept here, beside the rails,
 * rather than in the shared Config). A bad value throws ConfigError naming the variable.
 */
export interface RailSettings {
  /** SEPA transfer fee: percent of the amount, with a minimum in EUR cents. */
  sepaFeePercent: Decimal;
  sepaFeeMinCents: bigint;
  /** Seconds from creating a SEPA transfer to its settlement by the simulated bank. */
  sepaSettlementSeconds: number;
  /** Seconds a SEPA deposit whose sender name does not match waits for the manual review. */
  sepaReviewSeconds: number;
  /** Crypto deposits worth more than this (EUR) wait for travel-rule data before crediting. */
  travelRuleThresholdEur: Decimal;
  /** Name and address of the simulated bank, shown by Get SEPA Deposit Info. */
  bankAddress: string;
}

type Env = Record<string, string | undefined>;

function decimal(env: Env, name: string, fallback: string, max: string): Decimal {
  const raw = env[name] || fallback;
  if (!/^\d+(\.\d+)?$/.test(raw) || new Decimal(raw).gt(max)) {
    throw new ConfigError(`${name}="${raw}" is not valid: expected a number from 0 to ${max}`);
  }
  return new Decimal(raw);
}

function seconds(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 30 * 86_400) {
    throw new ConfigError(`${name}="${raw}" is not valid: expected whole seconds from 0 to 2592000`);
  }
  return value;
}

export function loadRailSettings(env: Env = process.env): RailSettings {
  return {
    sepaFeePercent: decimal(env, 'CENTUM_SEPA_FEE_PERCENT', '0.1', '50'),
    sepaFeeMinCents: BigInt(decimal(env, 'CENTUM_SEPA_FEE_MIN_EUR', '1.00', '1000').mul(100).toFixed(0, Decimal.ROUND_UP)),
    sepaSettlementSeconds: seconds(env, 'CENTUM_SEPA_SETTLEMENT_SECONDS', 600),
    sepaReviewSeconds: seconds(env, 'CENTUM_SEPA_REVIEW_SECONDS', 3600),
    travelRuleThresholdEur: decimal(env, 'CENTUM_TRAVEL_RULE_THRESHOLD_EUR', '1000', '1000000000'),
    bankAddress: env.CENTUM_SEPA_BANK_ADDRESS || 'Gedimino pr. 1, Vilnius, LT',
  };
}

let cached: RailSettings | undefined;
export const railSettings = (): RailSettings => (cached ??= loadRailSettings());

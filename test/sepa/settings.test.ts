import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const loadRailSettings = (env: Record<string, string>) => loadConfig({ CENTUM_SECRET_KEY: 'k', ...env }).rails;
import { checkName } from '../../src/rails/sepa/simulator.js';

describe('rail settings', () => {
  it('has documented defaults and rejects bad values naming the variable', () => {
    const s = loadRailSettings({});
    expect([s.sepaFeePercent.toString(), s.sepaFeeMinCents, s.sepaSettlementSeconds, s.travelRuleThresholdEur.toString()]).toEqual(['0.1', 100n, 600, '1000']);
    expect(loadRailSettings({ CENTUM_SEPA_FEE_MIN_EUR: '2.5' }).sepaFeeMinCents).toBe(250n);
    for (const [name, value] of [
      ['CENTUM_SEPA_FEE_PERCENT', 'abc'], ['CENTUM_SEPA_FEE_PERCENT', '51'], ['CENTUM_SEPA_SETTLEMENT_SECONDS', '-1'],
      ['CENTUM_SEPA_REVIEW_SECONDS', '1.5'], ['CENTUM_TRAVEL_RULE_THRESHOLD_EUR', '1e3'],
    ]) {
      expect(() => loadRailSettings({ [name]: value })).toThrow(ConfigError);
      expect(() => loadRailSettings({ [name]: value })).toThrow(name);
    }
  });
});

describe('SEPA name check', () => {
  it('matches names regardless of case, accents, punctuation and order', () => {
    const holder = ['Maria Wiśniewska'];
    expect(checkName('WISNIEWSKA, Maria', holder)).toBe('match');
    expect(checkName(undefined, holder)).toBe('match');
    expect(checkName('  ', holder)).toBe('match');
    expect(checkName('Jan Wiśniewski Wisniewska', holder)).toBe('partial');
    expect(checkName('John Smith', holder)).toBe('mismatch');
    expect(checkName('ACME sp. z o.o.', ['Maria Wiśniewska', 'ACME sp. z o.o.'])).toBe('match');
  });
});

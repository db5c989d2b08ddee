import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SETTINGS, withSettingsTable } from '../../src/config.js';

/** Settings are declared once (src/config.ts): the README's table and the validation both come from it. */
describe('settings', () => {
  it("the README's settings table is the one the declaration makes (npm run centum -- settings-doc)", () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(withSettingsTable(readme)).toBe(readme);
  });

  it('every declared variable is validated: a bad value stops the start with a message naming it', () => {
    const base = { CENTUM_SECRET_KEY: 'k' };
    for (const s of Object.values(SETTINGS)) {
      const bad = s.read.parse('\u0001not valid\u0001') === undefined ? '\u0001not valid\u0001' : undefined;
      if (bad === undefined) continue; // free text (a host, a seed, a prefix)
      expect(() => loadConfig({ ...base, [s.name]: bad }), s.name).toThrow(ConfigError);
      expect(() => loadConfig({ ...base, [s.name]: bad }), s.name).toThrow(s.name);
    }
  });
});

import { railSettingsOf, type RailSettings } from '../config.js';

export type { RailSettings };

/** Settings of the simulated rails, from the environment (declared in src/config.ts). */
export const loadRailSettings = (env: Record<string, string | undefined> = process.env): RailSettings => railSettingsOf(env);

let cached: RailSettings | undefined;
export const railSettings = (): RailSettings => (cached ??= loadRailSettings());

// Settings operations: list, get and set (validated and normalised, see settings.ts).
// A change bumps the cache version so every server process picks it up within a second.

import { PrintgateError } from '../../shared/errors.ts';
import { Caches } from './cache.ts';
import type { Core } from './core.ts';
import { normaliseSetting, SETTINGS } from './settings.ts';
import type { ConfigEntry } from './types.ts';

function entry(key: string, values: ReadonlyMap<string, string>): ConfigEntry {
  const def = SETTINGS[key]!;
  return { key, value: values.get(key) ?? def.default, default: def.default, description: def.description };
}

export async function listConfig(core: Core): Promise<ConfigEntry[]> {
  const snap = await core.caches.get();
  return Object.keys(SETTINGS).sort().map((k) => entry(k, snap.configValues));
}

export async function getConfigValue(core: Core, key: string): Promise<ConfigEntry> {
  if (!Object.hasOwn(SETTINGS, key)) throw new PrintgateError('UNKNOWN_CONFIG_KEY', `unknown configuration key "${key}"`);
  return entry(key, (await core.caches.get()).configValues);
}

export async function setConfigValue(core: Core, key: string, value: string): Promise<ConfigEntry> {
  if (!Object.hasOwn(SETTINGS, key)) throw new PrintgateError('UNKNOWN_CONFIG_KEY', `unknown configuration key "${key}"`);
  const snap = await core.caches.get();
  const normalised = normaliseSetting(key, value, snap.settings.exponent);
  await core.db.transaction(async (tx) => {
    await tx.run('INSERT INTO config (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      [key, normalised, core.clock()]);
    await Caches.bump(tx);
  });
  core.caches.invalidate();
  return getConfigValue(core, key);
}

import { type ConfigOptions, type ResolvedConfig, resolveConfig } from '../../src/config/resolve-config.js'

export const MODES = ['parallel', 'sequential', 'streaming'] as const
export type Mode = (typeof MODES)[number]

/**
 * A resolved configuration for a test: the given db and cache dir, no environment leaking in from the
 * machine running the tests, two workers.
 */
export function testConfig(flags: ConfigOptions & { db: string; cacheDir: string }, configFile?: string): ResolvedConfig {
  return resolveConfig({ env: {}, flags, defaultWorkers: 2, ...(configFile === undefined ? {} : { configFile }) })
}

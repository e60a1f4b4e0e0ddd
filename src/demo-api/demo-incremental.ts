import type { ResolvedConfig } from '../config/resolve-config.js'
import type { ResolvedIncremental } from '../config/resolve-warm.js'

/** How the demo fetches its device list after the first time: what changed since the newest `updated_at`, less five minutes. */
export const DEMO_INCREMENTAL: ResolvedIncremental = Object.freeze({
  param: 'updated_since',
  field: Object.freeze(['updated_at']),
  kind: 'timestamp',
  lag: 5 * 60_000,
  fullEveryMs: 86_400_000,
})

/**
 * The configuration with the built-in `devices` source fetched incrementally, as the demo API allows (the
 * real BrandMeister API has no `updated_since`, so the built-in source does not declare it).
 */
export function withDemoIncremental(config: ResolvedConfig): ResolvedConfig {
  return {
    ...config,
    sources: config.sources.map((s) => (s.name === 'devices' && s.http !== undefined ? { ...s, http: { ...s.http, incremental: DEMO_INCREMENTAL } } : s)),
  }
}

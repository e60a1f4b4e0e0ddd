/**
 * cachesync as a library: resolve a configuration, warm the cache from the APIs, sync it into the
 * database, and tell errors apart by their `code`. docs/library.md is the guide. Everything else in
 * `src/` is internal: the CLI and the tests import it from its module.
 */
export type { ConfigOptions, ResolveConfigInput, ResolvedConfig, ResolvedSource } from './config/resolve-config.js'
export { resolveConfig } from './config/resolve-config.js'
export type { ResolvedSink } from './config/resolve-sink.js'
export type { ProgressEvent } from './engine/source-job.js'
export type { SyncOptions } from './engine/sync.js'
export { runSync } from './engine/sync.js'
export type { PhaseTimes, RecordCounts, SourceReport, SyncMode, SyncReport } from './engine/sync-report.js'
export type { CachesyncErrorCode } from './util/errors.js'
export { CachesyncError, ConfigError, HttpStatusError, isUserError } from './util/errors.js'
export type { Logger } from './util/logger.js'
export type { IncrementalReport } from './warm/incremental-fetch.js'
export type { WarmOptions } from './warm/run-warm.js'
export { runWarm } from './warm/run-warm.js'
export type { WarmOutcome, WarmProgressEvent, WarmReport, WarmSourceReport } from './warm/warm-report.js'

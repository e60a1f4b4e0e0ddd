import type { ResolvedSource } from '../config/resolve-config.js'
import type { ResolvedSink } from '../config/resolve-sink.js'
import type { Logger } from '../util/logger.js'
import type { ScratchCopy, Sink } from './sink.js'
import type { SinkReader } from './sink-reader.js'

// The one module that knows which kinds of sink exist. Each kind's code (and its driver) is loaded
// only when a sink of that kind is asked for: a sync to PostgreSQL loads no SQLite driver, and back.

/** Opens the sink a sync writes to. */
export async function openSink(config: ResolvedSink, options: { dryRun: boolean; logger: Logger }): Promise<Sink> {
  if (config.kind === 'sqlite') {
    const { SqliteSink } = await import('./sqlite/sqlite-sink.js')
    return SqliteSink.openForSync(config.path, options)
  }
  const { PgSink } = await import('./postgres/pg-sink.js')
  return PgSink.open(config, options)
}

/** Opens a sink to read its runs, tables and size, creating nothing (see `SinkReader`). */
export async function openSinkReader(config: ResolvedSink): Promise<SinkReader> {
  if (config.kind === 'sqlite') {
    const { SqliteReader } = await import('./sqlite/sqlite-reader.js')
    return SqliteReader.open(config.path)
  }
  const { PgReader } = await import('./postgres/pg-reader.js')
  return PgReader.open(config)
}

/**
 * A throw-away copy of the sink's database with the sources' tables, to time a sync against:
 * a copy of the SQLite file beside it, or a scratch schema in the same PostgreSQL database.
 */
export async function createScratchCopy(config: ResolvedSink, sources: readonly ResolvedSource[], logger: Logger): Promise<ScratchCopy> {
  if (config.kind === 'sqlite') {
    const { createSqliteScratchCopy } = await import('./sqlite/sqlite-scratch-copy.js')
    return createSqliteScratchCopy(config.path)
  }
  const { createPgScratchCopy } = await import('./postgres/pg-scratch-copy.js')
  return createPgScratchCopy(config, sources, logger)
}

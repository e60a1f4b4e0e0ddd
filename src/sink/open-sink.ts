import type { ResolvedSink } from '../config/resolve-sink.js'
import type { Logger } from '../util/logger.js'
import type { Sink } from './sink.js'
import { SqliteSink } from './sqlite/sqlite-sink.js'

/**
 * Opens the sink a sync writes to: the one place that knows which kinds exist. The PostgreSQL driver
 * is loaded only when a `postgres://` sink is asked for.
 */
export async function openSink(config: ResolvedSink, options: { dryRun: boolean; logger: Logger }): Promise<Sink> {
  if (config.kind === 'sqlite') return SqliteSink.openForSync(config.path, options)
  const { PgSink } = await import('./postgres/pg-sink.js')
  return PgSink.open(config, options)
}

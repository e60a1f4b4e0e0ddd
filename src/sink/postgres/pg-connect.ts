import { hostname } from 'node:os'
import type { ResolvedSink } from '../../config/resolve-sink.js'
import { createPgPool, type PgClient, type PgPool } from './pg-driver.js'
import { connectError } from './pg-errors.js'

type PgSinkConfig = Extract<ResolvedSink, { kind: 'postgres' }>

/** What other sessions see in pg_stat_activity: which cachesync job, on which host, in which process. */
export function applicationName(job: string): string {
  return `cachesync ${job === '' ? '' : `${job} `}${hostname()} pid ${process.pid}`.slice(0, 63)
}

/**
 * A pool of one and its connection, for a job that holds one session (reading, the monitor's scratch
 * copy). A failed connection ends the pool and reads as cachesync's error, naming the server.
 */
export async function openPgSession(config: PgSinkConfig, job: string): Promise<{ pool: PgPool; client: PgClient }> {
  const pool = createPgPool({ url: config.url, max: 1, applicationName: applicationName(job) })
  try {
    return { pool, client: await pool.connect() }
  } catch (err) {
    await pool.end().catch(() => {})
    throw connectError(err, config)
  }
}

import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'

/** The slice of a PostgreSQL client that cachesync uses; the only module that imports `pg`. */
export interface PgClient {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number }>
  /** Streams COPY text (`COPY … FROM STDIN`) from `data`, pieces of whole lines; returns the rows copied. */
  copyFrom(sql: string, data: Iterable<string> | AsyncIterable<string | Buffer>): Promise<number>
  /** Back to the pool; `destroy` closes the connection instead (its session state is unknown). */
  release(destroy?: boolean): void
}

export interface PgPool {
  connect(): Promise<PgClient>
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number }>
  end(): Promise<void>
}

// `json` columns come back as their text, as SQLite keeps them; int8 as a string (no silent rounding).
pg.types.setTypeParser(114, (text: string) => text)

/**
 * A bounded pool on `url`. What the URL leaves out comes from the PG* environment variables and
 * `~/.pgpass`, as with libpq; `applicationName` is what other sessions see in pg_stat_activity.
 */
export function createPgPool(options: { url: string; max: number; applicationName: string }): PgPool {
  const pool = new pg.Pool({ connectionString: options.url, max: options.max, application_name: options.applicationName, idleTimeoutMillis: 30_000 })
  // An idle client that loses its connection must not crash the process; the next query reports it.
  pool.on('error', () => {})
  return {
    async connect() {
      const client = await pool.connect()
      return {
        query: async (sql, params) => {
          const result = await client.query(sql, params as unknown[] | undefined)
          return { rows: result.rows, rowCount: result.rowCount ?? 0 }
        },
        copyFrom: async (sql, data) => {
          const stream = client.query(copyFrom(sql))
          await pipeline(Readable.from(data, { objectMode: false }), stream)
          return stream.rowCount
        },
        release: (destroy = false) => client.release(destroy),
      }
    },
    async query(sql, params) {
      const result = await pool.query(sql, params as unknown[] | undefined)
      return { rows: result.rows, rowCount: result.rowCount ?? 0 }
    },
    end: () => pool.end(),
  }
}

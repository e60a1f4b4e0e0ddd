import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom, to as copyTo } from 'pg-copy-streams'

/** The slice of a PostgreSQL client that cachesync uses; the only module that imports `pg`. */
export interface PgClient {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number }>
  /** Streams COPY text (`COPY … FROM STDIN`) from `data`, pieces of whole lines; returns the rows copied. */
  copyFrom(sql: string, data: Iterable<string> | AsyncIterable<string | Buffer>): Promise<number>
  /** Streams what `COPY … TO STDOUT` sends to `sink`, piece by piece as it arrives (not whole rows). */
  copyTo(sql: string, sink: (piece: Buffer) => void): Promise<void>
  /** Why this client's connection ended, its SQLSTATE as `code`; undefined while it is open. */
  lost(): Error | undefined
  /** Back to the pool; `destroy` closes the connection instead (its session state is unknown). */
  release(destroy?: boolean): void
}

export interface PgPool {
  connect(): Promise<PgClient>
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number }>
  end(): Promise<void>
}

/** How long a connection may take to be ready when neither the URL nor PGCONNECT_TIMEOUT says. */
export const DEFAULT_CONNECT_TIMEOUT_S = 30

/**
 * libpq's `connect_timeout` (a URL parameter, else PGCONNECT_TIMEOUT), in seconds: 0 or less waits
 * for ever, less than 2 counts as 2, as libpq has it. Without either, 30 s: a server that never
 * answers must not hang a cron job.
 */
export function connectTimeoutMs(url: string, env: NodeJS.ProcessEnv): number {
  let raw: string | null | undefined
  try {
    raw = new URL(url).searchParams.get('connect_timeout')
  } catch {
    raw = undefined
  }
  raw = raw ?? env.PGCONNECT_TIMEOUT
  const seconds = raw === undefined || raw === null || raw.trim() === '' ? DEFAULT_CONNECT_TIMEOUT_S : Number.parseInt(raw, 10)
  if (!Number.isFinite(seconds)) return DEFAULT_CONNECT_TIMEOUT_S * 1000
  if (seconds <= 0) return 0
  return Math.max(2, seconds) * 1000
}

/** SQLSTATE connection_failure: what a connection that ended without the server's word is reported as. */
const CONNECTION_FAILURE = '08006'

// `json` columns come back as their text, as SQLite keeps them; int8 as a string (no silent rounding).
pg.types.setTypeParser(114, (text: string) => text)

/**
 * A bounded pool on `url`. What the URL leaves out comes from the PG* environment variables and
 * `~/.pgpass`, as with libpq; `applicationName` is what other sessions see in pg_stat_activity.
 *
 * Every client listens for its connection's end from the moment it connects, idle or checked out: a
 * client without an `'error'` listener would crash the process when the server goes away. The loss is
 * kept, and a query on that client (or a connection attempt after it) fails with it: one error that
 * says why, with its SQLSTATE, rather than pg's "not queryable" or a refused connection.
 */
export function createPgPool(options: { url: string; max: number; applicationName: string }): PgPool {
  const timeoutMs = connectTimeoutMs(options.url, process.env)
  // The timeout goes to each client (connect, start-up, authentication), not to the pool: a caller
  // waiting for a busy pool's next free client may rightly wait longer.
  class TimedClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connectionTimeoutMillis: timeoutMs })
    }
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max,
    application_name: options.applicationName,
    idleTimeoutMillis: 30_000,
    Client: TimedClient,
  })
  const losses = new WeakMap<pg.ClientBase, Error>()
  let lastLoss: Error | undefined
  pool.on('connect', (client) => {
    let farewell: Error | undefined
    // At an immediate shutdown the server says why only in a notice (57P01) before it closes the socket.
    client.on('notice', (notice) => {
      if (notice.code?.startsWith('57P') === true) farewell = Object.assign(new Error(notice.message), { code: notice.code, severity: notice.severity })
    })
    client.on('error', (err) => {
      if (losses.has(client)) return
      const loss = connectionLoss(err, farewell)
      losses.set(client, loss)
      lastLoss = loss
    })
  })
  // The pool re-emits an idle client's error: already kept above; the next query reports it.
  pool.on('error', () => {})
  const explain = (client: pg.ClientBase, err: unknown): unknown => (isServerError(err) ? err : (losses.get(client) ?? err))
  const connect = async (): Promise<PgClient> => {
    let client: pg.PoolClient
    try {
      client = await pool.connect()
    } catch (err) {
      // A server gone mid-run refuses the next connection, or says it is shutting down (57P03): the
      // loss says why it went.
      const refused = !isServerError(err) || err.code.startsWith('57P')
      throw lastLoss !== undefined && refused ? lastLoss : err
    }
    return {
      query: async (sql, params) => {
        try {
          const result = await client.query(sql, params as unknown[] | undefined)
          return { rows: result.rows, rowCount: result.rowCount ?? 0 }
        } catch (err) {
          throw explain(client, err)
        }
      },
      copyFrom: async (sql, data) => {
        const stream = client.query(copyFrom(sql))
        try {
          await pipeline(Readable.from(data, { objectMode: false }), stream)
        } catch (err) {
          throw explain(client, err)
        }
        return stream.rowCount
      },
      copyTo: async (sql, sink) => {
        try {
          for await (const piece of client.query(copyTo(sql))) sink(piece as Buffer)
        } catch (err) {
          throw explain(client, err)
        }
      },
      lost: () => losses.get(client),
      release: (destroy = false) => client.release(destroy || losses.has(client)),
    }
  }
  return {
    connect,
    async query(sql, params) {
      const client = await connect()
      try {
        return await client.query(sql, params)
      } finally {
        client.release()
      }
    },
    end: () => pool.end(),
  }
}

/**
 * Why a connection ended, as an error whose `code` is a SQLSTATE: the server's own when it said why
 * (57P01 at a shutdown, with its `severity`), else 08006 with what the client saw.
 */
function connectionLoss(err: Error, farewell: Error | undefined): Error {
  if (isServerError(err)) return err
  if (farewell !== undefined) return farewell
  const message = err.message === 'Connection terminated unexpectedly' ? 'the server closed the connection unexpectedly' : err.message
  return Object.assign(new Error(message, { cause: err }), { code: CONNECTION_FAILURE })
}

/** An error the server sent (an ErrorResponse), with its SQLSTATE. */
export function isServerError(err: unknown): err is Error & { code: string; severity: string } {
  return typeof (err as { severity?: unknown } | undefined)?.severity === 'string' && typeof (err as { code?: unknown }).code === 'string'
}

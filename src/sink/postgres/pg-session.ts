import type { PgClient, PgPool } from './pg-driver.js'

type Query = PgClient['query']

/** A transaction held open across several writes (a JSON document's chunks). */
export interface HeldTransaction {
  /** One unit inside it: a savepoint, undone alone if it fails. */
  run<R>(fn: (query: Query, client: PgClient) => Promise<R>): Promise<R>
  end(commit: boolean): Promise<void>
}

/**
 * How the PostgreSQL sink reaches the database. Normally each transaction takes a client of the pool,
 * so sources merged side by side commit on connections of their own. A dry run instead does all its
 * work in one session and one transaction that is rolled back at the end: every unit is a savepoint,
 * one at a time, and reads see the run's own writes.
 */
export class PgSession {
  readonly #pool: PgPool
  readonly #shared: PgClient | undefined
  readonly #lockSession: PgClient
  #queue: Promise<unknown> = Promise.resolve()
  #savepoints = 0

  private constructor(pool: PgPool, shared: PgClient | undefined, lockSession: PgClient) {
    this.#pool = pool
    this.#shared = shared
    this.#lockSession = lockSession
  }

  /**
   * `lockSession` holds the run's source locks: once its connection is lost, the locks are gone and
   * another host may be writing the same tables, so no transaction begins or commits any more.
   */
  static async open(pool: PgPool, options: { dryRun: boolean; lockSession: PgClient }): Promise<PgSession> {
    if (!options.dryRun) return new PgSession(pool, undefined, options.lockSession)
    const shared = await pool.connect()
    await shared.query('BEGIN')
    return new PgSession(pool, shared, options.lockSession)
  }

  /** A statement outside any transaction of the run (or inside the dry run's). */
  async query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number }> {
    const shared = this.#shared
    if (shared === undefined) return this.#pool.query<R>(sql, params)
    return this.#serial(() => shared.query<R>(sql, params))
  }

  /** `fn` on one client outside the run's transactions (or inside the dry run's): for a COPY out. */
  async withClient<R>(fn: (client: PgClient) => Promise<R>): Promise<R> {
    const shared = this.#shared
    if (shared !== undefined) return this.#serial(() => fn(shared))
    const client = await this.#pool.connect()
    let broken = false
    try {
      return await fn(client)
    } catch (err) {
      broken = true
      throw err
    } finally {
      client.release(broken)
    }
  }

  /** `fn` in one transaction: committed if it resolves, rolled back if it throws. */
  async transaction<R>(fn: (query: Query, client: PgClient) => Promise<R>): Promise<R> {
    const shared = this.#shared
    if (shared !== undefined) return this.#serial(() => this.#savepoint(shared, fn))
    this.#throwIfLocksLost()
    const client = await this.#pool.connect()
    let broken = false
    try {
      await client.query('BEGIN')
      const result = await fn(client.query, client)
      this.#throwIfLocksLost()
      await client.query('COMMIT')
      return result
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {
        broken = true
      })
      throw err
    } finally {
      client.release(broken)
    }
  }

  /** A transaction kept open until `end`; until then, no other unit of a dry run can start. */
  async hold(): Promise<HeldTransaction> {
    const shared = this.#shared
    if (shared !== undefined) {
      let release: () => void = () => {}
      const turn = new Promise<void>((resolve) => {
        release = resolve
      })
      const before = this.#queue
      this.#queue = this.#queue.then(() => turn)
      await before
      const name = `cs_held_${++this.#savepoints}`
      await shared.query(`SAVEPOINT ${name}`)
      return {
        run: (fn) => this.#savepoint(shared, fn),
        end: async (commit) => {
          try {
            await shared.query(commit ? `RELEASE SAVEPOINT ${name}` : `ROLLBACK TO SAVEPOINT ${name}`)
          } finally {
            release()
          }
        },
      }
    }
    this.#throwIfLocksLost()
    const client = await this.#pool.connect()
    await client.query('BEGIN')
    return {
      run: (fn) => this.#savepoint(client, fn),
      end: async (commit) => {
        let broken = false
        try {
          if (commit) this.#throwIfLocksLost()
          await client.query(commit ? 'COMMIT' : 'ROLLBACK')
        } catch (err) {
          broken = true
          if (commit) throw err
        } finally {
          client.release(broken)
        }
      },
    }
  }

  /** Ends a dry run's transaction (rolled back: nothing it did stays). */
  async close(): Promise<void> {
    const shared = this.#shared
    if (shared === undefined) return
    await this.#queue.catch(() => {})
    let broken = false
    await shared.query('ROLLBACK').catch(() => {
      broken = true
    })
    shared.release(broken)
  }

  async #savepoint<R>(client: PgClient, fn: (query: Query, client: PgClient) => Promise<R>): Promise<R> {
    const name = `cs_unit_${++this.#savepoints}`
    await client.query(`SAVEPOINT ${name}`)
    try {
      const result = await fn(client.query, client)
      await client.query(`RELEASE SAVEPOINT ${name}`)
      return result
    } catch (err) {
      await client.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => {})
      throw err
    }
  }

  #throwIfLocksLost(): void {
    const lost = this.#lockSession.lost()
    if (lost !== undefined) throw lost
  }

  #serial<R>(fn: () => Promise<R>): Promise<R> {
    const next = this.#queue.then(fn, fn)
    this.#queue = next.catch(() => {})
    return next
  }
}

import { execFileSync, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll } from 'vitest'

/** Where Debian's postgresql package puts the server binaries; PG_BIN overrides. */
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin'

/** A throw-away PostgreSQL cluster on a loopback port, trusting local connections. */
export interface PostgresCluster {
  readonly port: number
  readonly dir: string
  /** `postgres://postgres@127.0.0.1:PORT/DB` */
  url(database?: string): string
  createDatabase(name: string): void
  /** Runs SQL with psql and returns its unaligned, tuples-only output. */
  psql(sql: string, database?: string): string
  /** `pg_ctl stop -m mode`: the server goes away as an operator stops it; its data stays for `startServer`. */
  stopServer(mode: 'fast' | 'immediate'): void
  /** Starts the stopped server again, on the same port. */
  startServer(): void
  /** Stops the server (if it runs) and removes the cluster. */
  stop(): void
}

/** Why the PostgreSQL tests cannot run here, or undefined when they can. */
export function postgresUnavailable(): string | undefined {
  for (const bin of ['initdb', 'pg_ctl']) if (!existsSync(join(PG_BIN, bin))) return `no ${join(PG_BIN, bin)} (install the postgresql package)`
  if (spawnSync('psql', ['--version']).status !== 0) return 'no psql on the PATH'
  return undefined
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0))
    })
  })
}

/**
 * initdb + pg_ctl start in a temp directory. As root, initdb refuses to run: the cluster then belongs
 * to the `postgres` user the package creates, and its commands run through runuser.
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const reason = postgresUnavailable()
  if (reason !== undefined) throw new Error(`PostgreSQL unavailable: ${reason}`)
  const dir = mkdtempSync(join(tmpdir(), 'cachesync-pg-'))
  const asRoot = process.getuid?.() === 0
  const run = (bin: string, args: string[]): void => {
    const command = asRoot ? 'runuser' : join(PG_BIN, bin)
    const argv = asRoot ? ['-u', 'postgres', '--', join(PG_BIN, bin), ...args] : args
    execFileSync(command, argv, { stdio: 'pipe' })
  }
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
    chownSync(dir, uid, gid)
  }
  const data = join(dir, 'data')
  run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8', '--locale=C'])
  const port = await freePort()
  const start = (): void =>
    run('pg_ctl', [
      '-D',
      data,
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60 -c shared_buffers=64MB`,
      '-l',
      join(dir, 'log'),
      'start',
    ])
  start()
  let running = true
  const url = (database = 'postgres'): string => `postgres://postgres@127.0.0.1:${port}/${database}`
  const psql = (sql: string, database = 'postgres'): string =>
    execFileSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url(database), '-c', sql], {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim()
  return {
    port,
    dir,
    url,
    psql,
    createDatabase: (name) => {
      psql(`CREATE DATABASE "${name}"`)
    },
    stopServer: (mode) => {
      running = false
      run('pg_ctl', ['-D', data, '-w', '-m', mode, 'stop'])
    },
    startServer: () => {
      start()
      running = true
    },
    stop: () => {
      try {
        if (running) run('pg_ctl', ['-D', data, '-m', 'immediate', 'stop'])
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  }
}

/**
 * True where PostgreSQL is missing, after saying so loudly: for `describe.skipIf(postgresMissing())`.
 * CI installs postgresql (.ci/run), so there these tests always run.
 */
export function postgresMissing(): boolean {
  const missing = postgresUnavailable()
  if (missing !== undefined) console.warn(`\n*** PostgreSQL tests SKIPPED: ${missing}. Install the postgresql package to run them. ***\n`)
  return missing !== undefined
}

/** One cluster for a describe block: started before its first test, stopped after the last. */
export function usePostgres(): { cluster: () => PostgresCluster } {
  let cluster: PostgresCluster | undefined
  beforeAll(async () => {
    cluster = await startPostgresCluster()
  })
  afterAll(() => {
    cluster?.stop()
  })
  return {
    cluster: () => {
      if (cluster === undefined) throw new Error('the cluster runs only inside tests (after beforeAll)')
      return cluster
    },
  }
}

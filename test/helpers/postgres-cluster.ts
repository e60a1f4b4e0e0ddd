import { execFileSync } from 'node:child_process'
import { chownSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, type TestOptions } from 'vitest'
import { assertTools, requireTools, type SystemTool, toolPath } from './system-tools.js'

/** What a cluster runs: the server programs ($PG_BIN, else Debian's /usr/lib/postgresql/<major>/bin, else the PATH) and psql. */
const POSTGRES_TOOLS: readonly SystemTool[] = ['initdb', 'pg_ctl', 'postgres', 'psql']

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

/** Options for a `describe` of PostgreSQL tests: skipped, or failed in strict mode, where PostgreSQL is not installed. */
export function requirePostgres(): TestOptions {
  return requireTools(...POSTGRES_TOOLS)
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
  assertTools(...POSTGRES_TOOLS)
  const program = (name: 'initdb' | 'pg_ctl'): string => toolPath(name) as string
  const dir = mkdtempSync(join(tmpdir(), 'cachesync-pg-'))
  const asRoot = process.getuid?.() === 0
  const run = (name: 'initdb' | 'pg_ctl', args: string[]): void => {
    const command = asRoot ? 'runuser' : program(name)
    const argv = asRoot ? ['-u', 'postgres', '--', program(name), ...args] : args
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

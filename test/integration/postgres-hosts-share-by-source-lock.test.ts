import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { DMR_SOURCES } from '../../src/config/dmr-sources.js'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { lockKey } from '../../src/sink/postgres/pg-sink.js'
import { DMR_TABLES } from '../helpers/database.js'
import { waitWhileRunning } from '../helpers/kill.js'
import { requirePostgres, usePostgres } from '../helpers/postgres-cluster.js'
import { finished, runCli, spawnCli } from '../helpers/run-cli.js'
import { pgChecksums } from '../helpers/sink-checksum.js'
import type { ReportJson as SyncJson } from '../helpers/sync-json.js'
import { useTempDir } from '../helpers/temp-dir.js'

const RECORDS = 20_000
const DB = 'shared'

/**
 * Several sync hosts, one database: each source is synced by one process at a time (an advisory lock
 * per schema and source), different sources at once; a second process on a held source waits for it or
 * skips it, as `--pg-lock` says, naming the holder; and the tables end as a single host leaves them.
 */
describe('sync processes sharing one PostgreSQL database', requirePostgres(), () => {
  const pg = usePostgres()
  const tmp = useTempDir()
  const cache = (): string => join(tmp(), 'cache')
  const sync = (schema: string, ...more: string[]): string[] => [
    'sync',
    '--sink',
    pg.cluster().url(DB),
    '--schema',
    schema,
    '--cache-dir',
    cache(),
    '--mode',
    'streaming',
    '--chunk',
    '1000',
    '--json',
    '--no-progress',
    ...more,
  ]

  /** A psql session that takes the lock of `source` and keeps it until `release`. */
  async function holdLock(schema: string, source: string): Promise<{ release: () => Promise<void> }> {
    const holder: ChildProcess = spawn('psql', ['-X', '-q', '-d', `${pg.cluster().url(DB)}?application_name=lock-holder-test`], {
      stdio: ['pipe', 'ignore', 'inherit'],
    })
    holder.stdin?.write(`SELECT pg_advisory_lock(${lockKey(schema, source)});\n`)
    const granted = await waitWhileRunning(holder, () => grantedLocks() === 1, 20)
    expect(granted).toBe(true)
    return {
      release: async () => {
        holder.stdin?.end('\\q\n')
        await new Promise((resolve) => holder.once('close', resolve))
      },
    }
  }
  const grantedLocks = (): number => Number(pg.cluster().psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"))
  const waitingLocks = (): number => Number(pg.cluster().psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))
  const states = (json: SyncJson): string[][] => json.sources.map((s) => [s.name, s.state])

  beforeAll(async () => {
    pg.cluster().createDatabase(DB)
    await generateDmrCache({ records: RECORDS, cacheDir: cache(), seed: 5 })
    for (const [name, sources] of [
      ['users.json', ['users']],
      ['others.json', ['rptrs', 'devices']],
    ] as const) {
      writeFileSync(join(tmp(), name), JSON.stringify({ sources: DMR_SOURCES.filter((s) => (sources as readonly string[]).includes(s.name)) }))
    }
    const single = await runCli(sync('single'))
    expect(single.code, single.stderr).toBe(0)
  })

  it('--pg-lock skip: a source another process holds is skipped, naming the holder; the others sync; exit 0', async () => {
    const lock = await holdLock('skips', 'users')
    try {
      const result = await runCli(sync('skips', '--pg-lock', 'skip'))
      expect(result.code, result.stderr).toBe(0)
      const json = JSON.parse(result.stdout) as SyncJson & { sources: { holder?: string }[] }
      expect(states(json)).toEqual([
        ['rptrs', 'synced'],
        ['devices', 'synced'],
        ['users', 'skipped'],
      ])
      expect(json.sources[2]?.holder).toMatch(/lock-holder-test \(backend pid \d+/)
      expect(pg.cluster().psql('SELECT count(*) FROM skips.users', DB)).toBe('0')
    } finally {
      await lock.release()
    }
  })

  it('--pg-lock wait (the default): the second process waits, says for whom, and syncs once the holder lets go', async () => {
    const lock = await holdLock('waits', 'users')
    const child = spawnCli(sync('waits', '--log-level', 'info'))
    const done = finished(child)
    try {
      expect(await waitWhileRunning(child, () => waitingLocks() === 1, 50)).toBe(true)
    } finally {
      await lock.release()
    }
    const result = await done
    expect(result.code, result.stderr).toBe(0)
    expect(result.stderr).toMatch(/waiting for it/)
    expect(result.stderr).toMatch(/lock-holder-test/)
    expect(states(JSON.parse(result.stdout) as SyncJson).every(([, state]) => state === 'synced')).toBe(true)
    expect(pgChecksums(pg.cluster(), DB, 'waits', DMR_TABLES)).toEqual(pgChecksums(pg.cluster(), DB, 'single', DMR_TABLES))
  })

  it('two processes on different sources both finish at once, leaving the tables of a single host', async () => {
    const [a, b] = await Promise.all([
      runCli([...sync('split'), '--config', join(tmp(), 'users.json')]),
      runCli([...sync('split'), '--config', join(tmp(), 'others.json')]),
    ])
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    expect(states(JSON.parse(a.stdout) as SyncJson)).toEqual([['users', 'synced']])
    expect(states(JSON.parse(b.stdout) as SyncJson)).toEqual([
      ['rptrs', 'synced'],
      ['devices', 'synced'],
    ])
    expect(pgChecksums(pg.cluster(), DB, 'split', DMR_TABLES)).toEqual(pgChecksums(pg.cluster(), DB, 'single', DMR_TABLES))
  })

  it('two processes on the same sources: each source is synced once, the other process finds it unchanged', async () => {
    const [a, b] = await Promise.all([runCli(sync('same')), runCli(sync('same'))])
    expect(a.code, a.stderr).toBe(0)
    expect(b.code, b.stderr).toBe(0)
    const runs = [JSON.parse(a.stdout) as SyncJson, JSON.parse(b.stdout) as SyncJson]
    for (const source of ['rptrs', 'users', 'devices']) {
      const outcome = runs.map((run) => run.sources.find((s) => s.name === source)?.state).sort()
      expect(outcome, source).toEqual(['synced', 'unchanged'])
    }
    expect((runs[0]?.records.read ?? 0) + (runs[1]?.records.read ?? 0)).toBe(RECORDS)
    expect(pgChecksums(pg.cluster(), DB, 'same', DMR_TABLES)).toEqual(pgChecksums(pg.cluster(), DB, 'single', DMR_TABLES))
    expect(pg.cluster().psql("SELECT string_agg(outcome, ',') FROM same.sync_runs", DB)).toBe('ok,ok')
  })
})

import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { basename, join } from 'node:path'
import Database from 'better-sqlite3'
import { beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { backupDatabase } from '../../src/sink/sqlite/sqlite-backup.js'
import { DMR_KEYS } from '../helpers/change-set.js'
import { testConfig } from '../helpers/config.js'
import { checksumAll, DMR_TABLES, fileSha256, scalar } from '../helpers/database.js'
import { integrityCheck, keysInFileOrder, newestRun, rowCounts, rowsMatchingNone, tableKeys } from '../helpers/db-checks.js'
import { isRunning, waitWhileRunning } from '../helpers/kill.js'
import { finished, runCli, STACK_LINE, spawnCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

const BACKUP_NAME = /^sync-\d{8}T\d{6}Z(-\d+)?\.db$/

interface BackupJson {
  ok: boolean
  db: string
  path: string
  bytes: number
  ms: number
  integrity: string
  pruned: string[]
}

describe('`cachesync backup` while a sync is writing', () => {
  const tmp = useTempDir()

  it('takes a copy that opens, passes integrity_check and holds a consistent snapshot of every table', async () => {
    const cacheDir = join(tmp(), 'cache')
    const db = join(tmp(), 'live', 'sync.db')
    const backups = join(tmp(), 'backups')
    await generateDmrCache({ records: 200_000, cacheDir, seed: 11 })
    mkdirSync(join(tmp(), 'live'))

    const sync = spawnCli(['sync', '--mode', 'streaming', '--chunk', '2000', '--db', db, '--cache-dir', cacheDir, '--json'])
    const syncDone = finished(sync)
    // Back up once the sync has committed rows, in the middle of its run.
    const midRun = await waitWhileRunning(sync, () => Object.values(rowCounts(db, DMR_TABLES)).some((rows) => rows > 0))
    expect(midRun, 'the sync ended before it had committed a row').toBe(true)
    const cli = await runCli(['backup', '--db', db, '--to', backups, '--json'])
    // The backup finished while the sync still ran: it really was taken under a writer.
    const syncStillRunning = isRunning(sync)
    const synced = await syncDone

    expect(cli.code, cli.stderr).toBe(0)
    expect(syncStillRunning, 'the sync was over before the backup finished: the test did not back up under a writer').toBe(true)
    expect(synced.code, synced.stderr).toBe(0)
    const out = JSON.parse(cli.stdout) as BackupJson
    expect(out.ok).toBe(true)
    expect(out.integrity).toBe('ok')
    expect(out.pruned).toEqual([])
    expect(basename(out.path)).toMatch(BACKUP_NAME)
    expect(readdirSync(backups)).toEqual([basename(out.path)])
    expect(out.bytes).toBe(statSync(out.path).size)

    // A self-contained file: it opens, it is sound, and it needs no -wal beside it.
    expect(integrityCheck(out.path)).toEqual(['ok'])
    expect(scalar<string>(out.path, 'PRAGMA journal_mode')).toBe('delete')
    // A snapshot of the run in progress: its own run row is unfinished, and some rows were there.
    expect(newestRun(out.path)?.outcome).toBe('running')
    const counts = rowCounts(out.path, DMR_TABLES)
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
    for (const table of DMR_TABLES) {
      // Every row is the very row the finished sync holds, and the rows are a prefix of the file:
      // whole committed chunks, nothing torn, nothing half-written.
      expect(rowsMatchingNone(out.path, table, [db]), table).toBe(0)
      const present = new Set(tableKeys(out.path, table))
      const inFinal = new Set(tableKeys(db, table))
      const prefix = keysInFileOrder(join(cacheDir, `${table}.ndjson`), DMR_KEYS[table] as string)
        .filter((key) => inFinal.has(key))
        .slice(0, present.size)
      expect(
        prefix.every((key) => present.has(key)),
        `${table}: the backup's rows are the file's first ${present.size}`,
      ).toBe(true)
    }
  })
})

describe('backup naming and retention', () => {
  const tmp = useTempDir()
  const db = (): string => join(tmp(), 'sync.db')

  beforeAll(async () => {
    await generateDmrCache({ records: 2_000, cacheDir: join(tmp(), 'cache'), seed: 3 })
    expect((await runSync(testConfig({ db: db(), cacheDir: join(tmp(), 'cache'), mode: 'sequential' }))).ok).toBe(true)
  })

  it('names a backup <db name>-<UTC time>.db in backups/ beside the database, and its tables equal the original', async () => {
    const result = await backupDatabase(db(), { now: new Date('2026-11-24T10:15:00.123Z') })
    expect(result.path).toBe(join(tmp(), 'backups', 'sync-20261124T101500Z.db'))
    expect(result.integrity).toBe('ok')
    expect(result.bytes).toBe(statSync(result.path).size)
    expect(result.ms).toBeGreaterThan(0)
    expect(checksumAll(result.path)).toEqual(checksumAll(db()))
  })

  it('keeps exactly the newest N of this database, and never touches any other file', async () => {
    const dir = join(tmp(), 'retention')
    mkdirSync(dir)
    mkdirSync(join(dir, 'sync-20200101T000000Z.db.d'))
    // Files that look alike but are not this database's backups.
    const foreign: Record<string, string> = {
      'other-20200101T000000Z.db': 'another database',
      'sync-old-20200101T000000Z.db': 'a name with more after the stem',
      'sync-20200101T000000Z.sqlite': 'another extension',
      'sync-20200101T000000Z.db.bak': 'a suffix after the extension',
      'sync-2020-01-01.db': 'another timestamp format',
      'sync-latest.db': 'no timestamp',
      'notes.txt': 'notes',
    }
    for (const [name, text] of Object.entries(foreign)) writeFileSync(join(dir, name), text)
    const keep = 3
    const taken: string[] = []
    for (let i = 0; i < 8; i++) {
      const result = await backupDatabase(db(), { toDir: dir, keep, now: new Date(Date.UTC(2026, 10, 24, 10 + i, 0, 0)) })
      taken.push(result.path)
      const expectedPruned = i >= keep ? [taken[i - keep] as string] : []
      expect(result.pruned, `backup ${i}`).toEqual(expectedPruned)
      const ours = readdirSync(dir)
        .filter((name) => BACKUP_NAME.test(name))
        .sort()
      expect(ours, `backup ${i}`).toEqual(
        taken
          .slice(Math.max(0, i + 1 - keep))
          .map((path) => basename(path))
          .sort(),
      )
    }
    for (const [name, text] of Object.entries(foreign)) expect(readFileSync(join(dir, name), 'utf8'), name).toBe(text)
    expect(existsSync(join(dir, 'sync-20200101T000000Z.db.d'))).toBe(true)
    // Nothing half-written is left behind.
    expect(readdirSync(dir).filter((name) => name.includes('partial') || name.endsWith('-wal') || name.endsWith('-shm') || name.endsWith('-journal'))).toEqual(
      [],
    )
  })

  it('retention goes by the time in the name, not by when the file was written: an older stamp is pruned first', async () => {
    const dir = join(tmp(), 'by-name')
    const newer = await backupDatabase(db(), { toDir: dir, keep: 2, now: new Date('2026-06-01T00:00:00Z') })
    const older = await backupDatabase(db(), { toDir: dir, keep: 2, now: new Date('2026-01-01T00:00:00Z') })
    const newest = await backupDatabase(db(), { toDir: dir, keep: 2, now: new Date('2026-12-01T00:00:00Z') })
    expect(newest.pruned).toEqual([older.path])
    expect(readdirSync(dir).sort()).toEqual([basename(newer.path), basename(newest.path)].sort())
  })

  it('two backups in the same second do not overwrite each other, and the later one counts as newer', async () => {
    const dir = join(tmp(), 'same-second')
    const now = new Date('2026-11-24T10:15:00Z')
    const first = await backupDatabase(db(), { toDir: dir, keep: 5, now })
    const second = await backupDatabase(db(), { toDir: dir, keep: 5, now })
    const third = await backupDatabase(db(), { toDir: dir, keep: 2, now })
    expect(basename(first.path)).toBe('sync-20261124T101500Z.db')
    expect(basename(second.path)).toBe('sync-20261124T101500Z-1.db')
    expect(basename(third.path)).toBe('sync-20261124T101500Z-2.db')
    expect(third.pruned).toEqual([first.path])
    expect(readdirSync(dir).sort()).toEqual(['sync-20261124T101500Z-1.db', 'sync-20261124T101500Z-2.db'])
  })

  it('`--keep N` from the CLI keeps N and reports what it pruned', async () => {
    const dir = join(tmp(), 'cli')
    const paths: string[] = []
    for (let i = 0; i < 3; i++) {
      const cli = await runCli(['backup', '--db', db(), '--to', dir, '--keep', '2', '--json'])
      expect(cli.code, cli.stderr).toBe(0)
      const out = JSON.parse(cli.stdout) as BackupJson
      paths.push(out.path)
      // One second apart or the same second: either way a distinct, verified file.
      expect(new Set(paths).size).toBe(paths.length)
      expect(out.pruned).toEqual(i < 2 ? [] : [paths[0]])
    }
    expect(readdirSync(dir).sort()).toEqual(
      paths
        .slice(1)
        .map((p) => basename(p))
        .sort(),
    )
  })

  it('without --json prints where the backup went', async () => {
    const cli = await runCli(['backup', '--db', db(), '--to', join(tmp(), 'plain')])
    expect(cli.code, cli.stderr).toBe(0)
    expect(cli.stdout).toContain(join(tmp(), 'plain', 'sync-'))
    expect(cli.stdout).toContain('integrity ok')
  })
})

describe('backup errors', () => {
  const tmp = useTempDir()

  it('a missing database is a usage error naming the path: exit 2, no stack trace, no backup directory made', async () => {
    const missing = join(tmp(), 'nowhere', 'sync.db')
    const cli = await runCli(['backup', '--db', missing])
    expect(cli.code).toBe(2)
    expect(cli.stderr).toContain(missing)
    expect(cli.stderr).toMatch(/no database/i)
    expect(cli.stderr).not.toMatch(STACK_LINE)
    expect(cli.stdout).toBe('')
    expect(existsSync(join(tmp(), 'nowhere'))).toBe(false)
  })

  it('a directory given as the database is a usage error', async () => {
    const cli = await runCli(['backup', '--db', tmp()])
    expect(cli.code).toBe(2)
    expect(cli.stderr).toContain(tmp())
    expect(cli.stderr).not.toMatch(STACK_LINE)
  })

  it('--keep must be a positive integer', async () => {
    const db = join(tmp(), 'keep.db')
    new Database(db).close()
    for (const keep of ['0', '-1', '1.5', 'many']) {
      const cli = await runCli(['backup', '--db', db, '--keep', keep])
      expect(cli.code, keep).toBe(2)
      expect(cli.stderr, keep).toMatch(/keep must be a positive integer/)
      expect(cli.stderr).not.toMatch(STACK_LINE)
    }
  })

  it('a copy that fails integrity_check is removed and the backup fails with a clear message', async () => {
    const db = join(tmp(), 'damaged.db')
    const dir = join(tmp(), 'damaged-backups')
    const setup = new Database(db)
    setup.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, text TEXT); CREATE INDEX t_text ON t (text)')
    const insert = setup.prepare('INSERT INTO t (text) VALUES (?)')
    setup.transaction(() => {
      for (let i = 0; i < 5_000; i++) insert.run(`row ${i} ${'x'.repeat(50)}`)
    })()
    const pageSize = setup.pragma('page_size', { simple: true }) as number
    setup.close()
    // Scribble over one page in the middle of the file: SQLite opens the file (page 1 is intact) and the
    // backup copies the page as it is, but the copy cannot pass integrity_check.
    const fd = openSync(db, 'r+')
    writeSync(fd, Buffer.alloc(pageSize, 0x55), 0, pageSize, pageSize * 10)
    closeSync(fd)
    expect(integrityCheck(db)).not.toEqual(['ok'])
    const before = fileSha256(db)

    const err = await backupDatabase(db, { toDir: dir }).then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string },
    )
    expect(err?.code).toBe('ERR_IO')
    expect(err?.message).toContain(db)
    expect(err?.message).toMatch(/integrity_check/)
    expect(err?.message).toMatch(/removed/)
    expect(readdirSync(dir)).toEqual([])
    expect(fileSha256(db)).toBe(before)

    const cli = await runCli(['backup', '--db', db, '--to', dir])
    expect(cli.code).toBe(1)
    expect(cli.stderr).toMatch(/failed verification/)
    expect(cli.stderr).not.toMatch(STACK_LINE)
    expect(readdirSync(dir)).toEqual([])
  })
})

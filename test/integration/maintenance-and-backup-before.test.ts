import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { checksumAll, query, scalar } from '../helpers/database.js'
import { runCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'

interface Report {
  maintenance: string
  backup: { path: string; ms: number } | null
  phases: Record<string, number>
  records: { inserted: number; updated: number; deleted: number }
}

async function sync(args: string[]): Promise<Report> {
  const result = await runCli(['sync', ...args, '--json', '--log-level', 'warn'])
  expect(result.code, result.stderr).toBe(0)
  return JSON.parse(result.stdout) as Report
}

describe('`sync --vacuum` and `--backup-before`', () => {
  const tmp = useTempDir()
  const base = (): string => join(tmp(), 'base')
  const changed = (): string => join(tmp(), 'changed')

  beforeAll(async () => {
    await generateDmrCache({ records: 3_000, cacheDir: base(), seed: 8 })
    await generateDmrCache({ records: 3_000, cacheDir: changed(), seed: 8, changeRate: 0.02 })
  })

  it('auto analyzes after a first sync (every row changed) and leaves planner statistics behind', async () => {
    const db = join(tmp(), 'auto.db')
    const report = await sync(['--db', db, '--cache-dir', base(), '--mode', 'sequential'])
    expect(report.maintenance).toBe('analyze')
    expect(report.phases.maintenance).toBeGreaterThan(0)
    expect(scalar<number>(db, "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).toBe(1)
  })

  it('auto does nothing when few rows changed; none never does anything', async () => {
    const db = join(tmp(), 'few.db')
    await sync(['--db', db, '--cache-dir', base(), '--mode', 'sequential', '--vacuum', 'none'])
    expect(scalar<number>(db, "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).toBe(0)
    const report = await sync(['--db', db, '--cache-dir', changed(), '--mode', 'sequential'])
    expect(report.records.inserted + report.records.updated + report.records.deleted).toBeGreaterThan(0)
    expect(report.maintenance).toBe('none')
    expect(report.phases.maintenance).toBe(0)
  })

  it('full rebuilds the file: deleted rows give their pages back, the contents stay', async () => {
    const db = join(tmp(), 'full.db')
    await sync(['--db', db, '--cache-dir', base(), '--mode', 'streaming', '--vacuum', 'none'])
    const reference = join(tmp(), 'reference.db')
    await sync(['--db', reference, '--cache-dir', base(), '--mode', 'streaming', '--vacuum', 'none'])
    await sync(['--db', reference, '--cache-dir', changed(), '--mode', 'streaming', '--vacuum', 'none'])
    const report = await sync(['--db', db, '--cache-dir', changed(), '--mode', 'streaming', '--vacuum', 'full'])
    expect(report.maintenance).toBe('vacuum')
    expect(scalar<number>(db, 'PRAGMA freelist_count')).toBe(0)
    expect(checksumAll(db)).toEqual(checksumAll(reference))
  })

  it('--backup-before backs up an existing database before writing, and skips a new one', async () => {
    const db = join(tmp(), 'backed.db')
    const first = await sync(['--db', db, '--cache-dir', base(), '--mode', 'parallel', '--backup-before'])
    expect(first.backup).toBeNull()
    const before = checksumAll(db)
    const second = await sync(['--db', db, '--cache-dir', changed(), '--mode', 'parallel', '--backup-before'])
    const backup = second.backup?.path as string
    expect(existsSync(backup)).toBe(true)
    expect(backup.startsWith(join(tmp(), 'backups'))).toBe(true)
    // The backup holds the tables as they were before this sync wrote anything.
    expect(checksumAll(backup)).toEqual(before)
    expect(checksumAll(db)).not.toEqual(before)
    expect(query<{ integrity_check: string }>(backup, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }])
  })
})

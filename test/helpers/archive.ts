import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { expect } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { type CliResult, runCli } from './run-cli.js'
import type { TestDatabase } from './test-sink.js'

/** When the soft-deleted rows of the tests were deleted: long enough ago for `--deleted-before 30d`. */
export const OLD_DELETE = '2026-01-02T03:04:05.678Z'

/**
 * A database whose `devices` table (the DMR source that deletes soft) holds soft-deleted rows: a
 * generated set synced, then a changed set that drops some of them, their `_deleted_at` moved back to
 * `OLD_DELETE`. Returns the keys of the soft-deleted rows.
 */
export async function softDeletedDevices(db: TestDatabase, tmp: string, records: number, seed: number): Promise<number[]> {
  const base = join(tmp, `base-${seed}-${records}`)
  const changed = join(tmp, `changed-${seed}-${records}`)
  if (!existsSync(base)) {
    await generateDmrCache({ records, cacheDir: base, seed })
    await generateDmrCache({ records, cacheDir: changed, seed, changeRate: 0.6 })
  }
  for (const cacheDir of [base, changed]) expectOk(await cli(db, ['sync', '--cache-dir', cacheDir, '--no-progress', '--mode', 'sequential']))
  db.exec(`UPDATE devices SET "_deleted_at" = '${OLD_DELETE}' WHERE "_deleted_at" IS NOT NULL`)
  return db.query<{ id: number }>('SELECT id FROM devices WHERE "_deleted_at" IS NOT NULL ORDER BY id').map((r) => Number(r.id))
}

/** Runs the CLI against a test database: its arguments and environment added. */
export function cli(db: TestDatabase, args: readonly string[]): Promise<CliResult> {
  return runCli([...args, ...db.args], { ...db.env, CACHESYNC_LOG_LEVEL: 'warn' })
}

export function expectOk(result: CliResult): void {
  expect(result.code, result.stderr).toBe(0)
}

/** The rows of an archive file, parsed: each the array of its values, key first. */
export function archivedRows(path: string): unknown[][] {
  return gunzipSync(readFileSync(path))
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown[])
}

export function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex')
}

/** The names in a directory, sorted; none when it does not exist. */
export function listDir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : []
}

export interface ArchiveRow {
  file: string
  dir: string
  state: string
  rows: number
  sha256: string
  table_name: string
}

/** The rows of `sync_archives`, or none when the table does not exist yet. */
export function syncArchives(db: TestDatabase): ArchiveRow[] {
  try {
    return db.query<ArchiveRow>('SELECT file, dir, state, rows, sha256, table_name FROM sync_archives ORDER BY id').map((r) => ({ ...r, rows: Number(r.rows) }))
  } catch {
    return []
  }
}

import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ARCHIVE_SUFFIX, manifestPath } from '../../src/archive/archive-files.js'
import { archivedRows, cli, expectOk, listDir, OLD_DELETE, sha256Of, softDeletedDevices, syncArchives } from '../helpers/archive.js'
import { STACK_LINE } from '../helpers/run-cli.js'
import type { Checksums } from '../helpers/sink-checksum.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

const RECORDS = 30_000
const SEED = 15

/**
 * `cachesync archive --deleted-before 30d` then `cachesync restore DIR` on each sink: the soft-deleted
 * rows leave for verified files that `sync_archives` names, and come back leaving the table exactly as
 * it was (checksums); a second restore changes nothing, and of two versions of a row the newest wins.
 */
describe.each(SINK_KINDS)('archive then restore, %s', (kind) => {
  describe('', requireSink(kind), () => {
    const tmp = useTempDir()
    const databases = useTestSink(kind, tmp)
    let db: TestDatabase
    const dir = (): string => join(tmp(), 'archive')
    let deleted: number[] = []
    let before: Checksums
    let liveBefore: number

    beforeAll(async () => {
      db = databases('roundtrip')
      deleted = await softDeletedDevices(db, tmp(), RECORDS, SEED)
      before = db.checksum(['devices'])
      liveBefore = Number(db.query<{ n: number }>('SELECT count(*) AS n FROM devices WHERE "_deleted_at" IS NULL')[0]?.n)
    }, 240_000)

    it('a dry run reports the rows and bytes, and writes and deletes nothing', async () => {
      expect(deleted.length).toBeGreaterThan(500)
      const fingerprint = db.fingerprint()
      const result = await cli(db, ['archive', '--deleted-before', '30d', '--to', dir(), '--dry-run', '--json'])
      expectOk(result)
      const report = JSON.parse(result.stdout)
      expect(report.dryRun).toBe(true)
      expect(report.rows).toBe(deleted.length)
      expect(report.bytes).toBeGreaterThan(0)
      expect(report.rawBytes).toBeGreaterThan(report.bytes)
      expect(db.fingerprint()).toBe(fingerprint)
      expect(listDir(dir())).toEqual([])
    })

    it('archive moves every soft-deleted row, and only those, into verified files that sync_archives names', async () => {
      const result = await cli(db, ['archive', '--deleted-before', '30d', '--to', dir(), '--batch-size', '200', '--batch-min', '100', '--json'])
      expectOk(result)
      const report = JSON.parse(result.stdout)
      expect(report.rows).toBe(deleted.length)
      expect(report.files).toBeGreaterThan(1)
      for (const phase of ['query', 'serialise', 'compress', 'write', 'verify', 'delete']) expect(report.phases[phase], phase).toBeGreaterThan(0)
      expect(db.query('SELECT id FROM devices WHERE "_deleted_at" IS NOT NULL')).toEqual([])
      expect(Number(db.query<{ n: number }>('SELECT count(*) AS n FROM devices')[0]?.n)).toBe(liveBefore)

      const records = syncArchives(db)
      expect(records.map((r) => r.state)).toEqual(records.map(() => 'archived'))
      expect(records.length).toBe(report.files)
      const names = records.map((r) => r.file)
      expect(listDir(dir())).toEqual([...names, ...names.map((n) => manifestPath(n))].sort())
      const keys: number[] = []
      for (const record of records) {
        const path = join(dir(), record.file)
        expect(sha256Of(path), record.file).toBe(record.sha256)
        const rows = archivedRows(path)
        expect(rows.length).toBe(record.rows)
        const manifest = JSON.parse(readFileSync(manifestPath(path), 'utf8'))
        expect(manifest).toMatchObject({ table: 'devices', rows: record.rows, sha256: record.sha256, key: ['id'] })
        expect(manifest.columns.map((c: { name: string }) => c.name)).toContain('_deleted_at')
        expect(manifest.firstKey).toEqual([rows[0]?.[0]])
        expect(manifest.columns[0].name).toBe('id')
        keys.push(...rows.map((r) => Number(r[0])))
      }
      expect(keys.sort((a, b) => a - b)).toEqual(deleted)
    })

    it('the files sort by table and time', () => {
      const files = listDir(dir()).filter((n) => n.endsWith(ARCHIVE_SUFFIX))
      expect(files.every((n) => n.startsWith('devices.'))).toBe(true)
      expect(files).toEqual(syncArchives(db).map((r) => r.file))
    })

    it('restore brings the table back exactly as it was, and a second restore changes nothing', async () => {
      const first = await cli(db, ['restore', dir(), '--json'])
      expectOk(first)
      expect(JSON.parse(first.stdout)).toMatchObject({ rows: deleted.length, inserted: deleted.length, replaced: 0, kept: 0 })
      expect(db.checksum(['devices'])).toEqual(before)
      const second = await cli(db, ['restore', dir(), '--json'])
      expectOk(second)
      expect(JSON.parse(second.stdout)).toMatchObject({ rows: deleted.length, inserted: 0, replaced: 0, kept: deleted.length })
      expect(db.checksum(['devices'])).toEqual(before)
    })

    it('of two archived versions of a row, the newest wins', async () => {
      const id = deleted[0] as number
      // The row, deleted again later with another city, goes to a newer file; the older file still has the old one.
      db.exec(`UPDATE devices SET city = 'Newer', "_deleted_at" = '2026-02-03T00:00:00.000Z' WHERE id = ${id}`)
      const newer = join(tmp(), 'archive-newer')
      expectOk(await cli(db, ['archive', '--deleted-before', '30d', '--to', newer]))
      expect(db.query(`SELECT id FROM devices WHERE id = ${id}`)).toEqual([])
      expectOk(await cli(db, ['restore', dir(), newer]))
      expect(db.query<{ city: string }>(`SELECT city FROM devices WHERE id = ${id}`)).toEqual([{ city: 'Newer' }])
      // Restored in the other order, one file at a time: still the newest.
      db.exec(`DELETE FROM devices WHERE "_deleted_at" IS NOT NULL`)
      expectOk(await cli(db, ['restore', newer]))
      expectOk(await cli(db, ['restore', dir()]))
      expect(db.query<{ city: string }>(`SELECT city FROM devices WHERE id = ${id}`)).toEqual([{ city: 'Newer' }])
      expect(Number(db.query<{ n: number }>(`SELECT count(*) AS n FROM devices WHERE "_deleted_at" IS NOT NULL`)[0]?.n)).toBe(deleted.length)
      expect(OLD_DELETE < '2026-02-03').toBe(true)
    })

    it('a damaged file is refused before any row is read: exit 1, the file named, nothing restored', async () => {
      const bad = join(tmp(), 'damaged')
      mkdirSync(bad, { recursive: true })
      const record = syncArchives(db)[0]
      if (record === undefined) throw new Error('no archive')
      const copy = join(bad, record.file)
      copyFileSync(join(dir(), record.file), copy)
      copyFileSync(manifestPath(join(dir(), record.file)), manifestPath(copy))
      const bytes = readFileSync(copy)
      bytes[bytes.length - 20] = (bytes[bytes.length - 20] as number) ^ 0xff
      writeFileSync(copy, bytes)
      db.exec(`DELETE FROM devices WHERE "_deleted_at" IS NOT NULL`)
      const fingerprint = db.fingerprint()
      const result = await cli(db, ['restore', bad])
      expect(result.code).toBe(1)
      expect(result.stderr).toContain(`${copy} is damaged`)
      expect(result.stderr).not.toMatch(STACK_LINE)
      expect(db.fingerprint()).toBe(fingerprint)
    })
  })
})

import { execFileSync } from 'node:child_process'
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { cli, listDir, softDeletedDevices, syncArchives } from '../helpers/archive.js'
import { STACK_LINE } from '../helpers/run-cli.js'
import { requireTmpfsMount } from '../helpers/system-tools.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

const RECORDS = 12_000
const SEED = 152

/**
 * A mistake in what to archive, or where, is named in one line on stderr with exit status 2 (the
 * options) or 1 (the destination), no stack trace, and nothing is deleted: not one row, and the
 * database as it was.
 */
describe.each(SINK_KINDS)('archive refuses bad configuration, %s', (kind) => {
  describe('', requireSink(kind), () => {
    const tmp = useTempDir()
    const databases = useTestSink(kind, tmp)
    let db: TestDatabase
    let deleted: number[] = []

    beforeAll(async () => {
      db = databases('bad')
      deleted = await softDeletedDevices(db, tmp(), RECORDS, SEED)
    }, 240_000)

    const cases: [string, number, string[], RegExp][] = [
      [
        'a column the table lacks',
        2,
        ['--older-than', 'last_heard=365d', '--source', 'devices'],
        /--older-than last_heard: source devices \(table devices\) has no column last_heard/,
      ],
      ['a column no source has', 2, ['--older-than', 'last_heard=365d'], /--older-than last_heard: no source has a column last_heard/],
      [
        'a table that is not a source',
        2,
        ['--deleted-before', '30d', '--source', 'sync_runs'],
        /--source sync_runs: no such source \(the sources are rptrs, users, devices\)/,
      ],
      ['a source that deletes hard', 2, ['--deleted-before', '30d', '--source', 'rptrs'], /source rptrs deletes hard/],
      ['a duration that is not one', 2, ['--deleted-before', 'soon'], /--deleted-before must be a duration such as 30d/],
      ['COLUMN=DURATION missing its =', 2, ['--older-than', 'last_seen'], /--older-than must be COLUMN=DURATION/],
      ['nothing to archive', 2, [], /say what to archive/],
      [
        'batch bounds the wrong way round',
        2,
        ['--deleted-before', '30d', '--batch-min', '500', '--batch-max', '100'],
        /batch.min \(500\) must not exceed batch.max \(100\)/,
      ],
      ['a gzip level out of range', 2, ['--deleted-before', '30d', '--level', '11'], /level must be an integer from 1 to 9, got 11/],
    ]

    it.each(cases)('%s: exit %i, named, nothing deleted', async (_name, code, args, message) => {
      expect(deleted.length).toBeGreaterThan(100)
      const fingerprint = db.fingerprint()
      const to = join(tmp(), 'archive-bad')
      const result = await cli(db, ['archive', ...args, '--to', to])
      expect(result.code, result.stderr).toBe(code)
      expect(result.stderr).toMatch(message)
      expect(result.stderr).not.toMatch(STACK_LINE)
      expect(db.fingerprint()).toBe(fingerprint)
    })

    it('an unwritable destination: exit 1, the directory named, nothing deleted', async () => {
      const fingerprint = db.fingerprint()
      const file = join(tmp(), 'a-file')
      writeFileSync(file, '')
      const to = join(file, 'archive')
      const result = await cli(db, ['archive', '--deleted-before', '30d', '--to', to])
      expect(result.code, result.stderr).toBe(1)
      expect(result.stderr).toContain(`Archive directory ${to} is not writable`)
      expect(result.stderr).not.toMatch(STACK_LINE)
      expect(db.fingerprint()).toBe(fingerprint)
    })

    it('restore of something that is not an archive file: exit 2, named', async () => {
      const file = join(tmp(), 'notes.txt')
      writeFileSync(file, 'hello')
      const result = await cli(db, ['restore', file])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain(`${file} is not an archive file (*.jsonl.gz)`)
      expect(result.stderr).not.toMatch(STACK_LINE)
    })

    describe('a full disk', requireTmpfsMount(), () => {
      const mount = (): string => join(tmp(), 'small-disk')

      it('exit 1, says the disk is full and names the file; every row stays in its table; the next run with room archives them', async () => {
        mkdirSync(mount(), { recursive: true })
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0755', 'tmpfs', mount()], { stdio: 'pipe' })
        onTestFinished(() => {
          execFileSync('umount', [mount()], { stdio: 'pipe' })
        })
        const to = join(mount(), 'archive')
        mkdirSync(to, { recursive: true })
        const filler = join(mount(), 'filler')
        const fs = statfsSync(mount())
        writeFileSync(filler, Buffer.alloc(Math.max(0, fs.bavail * fs.bsize - 1024)))
        try {
          const result = await cli(db, ['archive', '--deleted-before', '30d', '--to', to])
          expect(result.code, result.stderr).toBe(1)
          expect(result.stderr).toMatch(/Disk full while writing archive file/)
          expect(result.stderr).toContain(to)
          expect(result.stderr).not.toMatch(STACK_LINE)
          expect(db.query<{ id: number }>('SELECT id FROM devices WHERE "_deleted_at" IS NOT NULL ORDER BY id').map((r) => Number(r.id))).toEqual(deleted)
          expect(syncArchives(db).filter((r) => r.table_name === 'devices')).toEqual([])
          expect(listDir(to).filter((name) => name !== 'filler')).toEqual([])
        } finally {
          rmSync(filler, { force: true })
        }
        const again = await cli(db, ['archive', '--deleted-before', '30d', '--to', to, '--json'])
        expect(again.code, again.stderr).toBe(0)
        expect(JSON.parse(again.stdout).rows).toBe(deleted.length)
      })
    })
  })
})

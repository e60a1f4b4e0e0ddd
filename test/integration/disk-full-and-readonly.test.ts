import { execFileSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { MODES } from '../helpers/config.js'
import { checksumAll, DMR_TABLES, fileSha256 } from '../helpers/database.js'
import { integrityCheck, newestRun, rowsMatchingNone, tableKeys } from '../helpers/db-checks.js'
import { runCliAs, unprivilegedRunner } from '../helpers/run-as.js'
import { runCli, STACK_LINE } from '../helpers/run-cli.js'
import { requireTmpfsMount } from '../helpers/system-tools.js'
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js'

/**
 * Issue 4, promise 6: a full disk and a read-only database are reported as such — exit 1, a message
 * that says so and names the database, no stack trace — and the database stays intact.
 *
 * The full disk is a real one: a small tmpfs that the test mounts and fills. Where this process may not
 * mount one (not root, or a container that forbids it), those tests are skipped.
 */

const BASE_RECORDS = 3_000
const BIG_RECORDS = 40_000
const TMPFS_SIZE = '96m'
/** Room left on the filled disk: enough to open the database, far too little for the sync. */
const LEFT_FREE = 1.5 * 1024 * 1024

interface Mount {
  dir: string
  mounted: boolean
}

function mountTmpfs(dir: string): boolean {
  mkdirSync(dir, { recursive: true })
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' })
    return true
  } catch {
    return false
  }
}

function unmount(mount: Mount | undefined): void {
  if (mount?.mounted) execFileSync('umount', [mount.dir], { stdio: 'pipe' })
}

const needsTmpfs = requireTmpfsMount()

const freeBytes = (dir: string): number => {
  const fs = statfsSync(dir)
  return fs.bavail * fs.bsize
}

describe('a full disk', needsTmpfs, () => {
  let tmp: string
  let mount: Mount

  beforeAll(async () => {
    tmp = await makeTempDir()
    mount = { dir: join(tmp, 'small-disk'), mounted: false }
    mount.mounted = mountTmpfs(mount.dir)
    // Never fill the disk the temp dir is on.
    if (!mount.mounted) throw new Error(`mounting a tmpfs on ${mount.dir} failed`)
    await generateDmrCache({ records: BASE_RECORDS, cacheDir: join(tmp, 'base'), seed: 1 })
    await generateDmrCache({ records: BIG_RECORDS, cacheDir: join(tmp, 'big'), seed: 2 })
  })

  afterAll(async () => {
    unmount(mount)
    await removeTempDir(tmp)
  })

  for (const mode of MODES) {
    it(`${mode}: exit 1, says the disk is full and names the database; the database stays sound with its rows; a later sync recovers`, async () => {
      const dir = join(mount.dir, mode)
      mkdirSync(dir)
      const db = join(dir, 'sync.db')
      const args = (cacheDir: string): string[] => ['sync', '--mode', mode, '--db', db, '--cache-dir', cacheDir, '--json']
      const first = await runCli(args(join(tmp, 'base')))
      expect(first.code, first.stderr).toBe(0)
      // References off the small disk: the database before, and after an unhindered sync of the big set.
      const before = join(tmp, `${mode}-before.db`)
      const after = join(tmp, `${mode}-after.db`)
      copyFileSync(db, before)
      copyFileSync(db, after)
      const unhindered = await runCli(['sync', '--mode', mode, '--db', after, '--cache-dir', join(tmp, 'big')])
      expect(unhindered.code, unhindered.stderr).toBe(0)
      const keysBefore = new Map(DMR_TABLES.map((table) => [table, tableKeys(db, table)]))
      const runBefore = newestRun(db)?.id ?? 0

      const filler = join(mount.dir, `${mode}.filler`)
      try {
        writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes(mount.dir) - LEFT_FREE)))
        const full = await runCli(args(join(tmp, 'big')))

        expect(full.code, full.stderr).toBe(1)
        expect.soft(full.stderr).toMatch(/disk (is )?full/i)
        expect.soft(full.stderr).toContain(db)
        expect.soft(full.stderr).not.toMatch(STACK_LINE)
        expect.soft(full.stderr).not.toMatch(/this is a bug/)

        expect(integrityCheck(db)).toEqual(['ok'])
        const unhinderedSums = checksumAll(after)
        for (const table of DMR_TABLES) {
          // Every row is the old one or the new one.
          expect(rowsMatchingNone(db, table, [before, after]), table).toBe(0)
          // A source that completed before the disk filled may have deleted rows; the others delete nothing.
          if (checksumAll(db, [table])[table]?.sha256 === unhinderedSums[table]?.sha256) continue
          const live = new Set(tableKeys(db, table, '"_deleted_at" IS NULL'))
          expect(
            (keysBefore.get(table) as string[]).filter((key) => !live.has(key)),
            `${table}: rows the failed run deleted`,
          ).toEqual([])
        }
        const run = newestRun(db)
        expect.soft(run?.id, 'the failed sync left a run row').toBeGreaterThan(runBefore)
        expect.soft(run?.outcome, 'the failed sync is recorded as failed').toBe('failed')
        expect.soft(run?.error ?? '').toMatch(/full/i)
      } finally {
        // The next test needs the room, whatever happened here.
        rmSync(filler, { force: true })
      }

      // With room again, the next sync completes and equals the unhindered one.
      const again = await runCli(args(join(tmp, 'big')))
      expect(again.code, again.stderr).toBe(0)
      expect(checksumAll(db)).toEqual(checksumAll(after))
      expect(readdirSync(dir).filter((name) => name.includes('staging') || name.includes('dry-run'))).toEqual([])
    })
  }
})

describe('a read-only database', () => {
  const runner = unprivilegedRunner()
  let tmp: string
  let mount: Mount | undefined

  beforeAll(async () => {
    tmp = await makeTempDir()
    // The unprivileged child must reach the cache and the databases.
    chmodSync(tmp, 0o755)
    await generateDmrCache({ records: BASE_RECORDS, cacheDir: join(tmp, 'cache'), seed: 5 })
    await generateDmrCache({ records: BASE_RECORDS, cacheDir: join(tmp, 'changed'), seed: 5, changeRate: 0.1 })
  })

  afterAll(async () => {
    unmount(mount)
    // Give write permission back so that the directory can be removed.
    for (const name of existsSync(tmp) ? readdirSync(tmp) : []) chmodSync(join(tmp, name), 0o755)
    await removeTempDir(tmp)
  })

  /** A database synced from the cache, alone in its own directory. */
  async function syncedDb(name: string): Promise<{ dir: string; db: string }> {
    const dir = join(tmp, name)
    mkdirSync(dir)
    const db = join(dir, 'sync.db')
    const cli = await runCli(['sync', '--mode', 'sequential', '--db', db, '--cache-dir', join(tmp, 'cache')])
    expect(cli.code, cli.stderr).toBe(0)
    return { dir, db }
  }

  /**
   * Makes the database read-only (`protect`), runs a sync, lifts the protection again (so that the
   * checks can open the database) and checks that the sync was refused clearly and changed nothing.
   */
  async function expectRefused(db: string, protect: () => void, run: () => Promise<{ code: number | null; stderr: string }>, release = (): void => {}) {
    const bytes = fileSha256(db)
    const tables = checksumAll(db)
    const runs = newestRun(db)?.id
    protect()
    let result: { code: number | null; stderr: string }
    try {
      result = await run()
      expect(fileSha256(db)).toBe(bytes)
    } finally {
      release()
    }
    expect(result.code, result.stderr).toBe(1)
    expect.soft(result.stderr).toMatch(/read-only|readonly|not writable|permission denied/i)
    expect.soft(result.stderr).toContain(db)
    expect.soft(result.stderr).not.toMatch(STACK_LINE)
    expect.soft(result.stderr).not.toMatch(/this is a bug/)
    expect(fileSha256(db)).toBe(bytes)
    expect(integrityCheck(db)).toEqual(['ok'])
    expect(checksumAll(db)).toEqual(tables)
    expect(newestRun(db)?.id).toBe(runs)
  }

  it(`a database file without write permission (sync run as ${runner.name}): exit 1, a read-only error naming it, the file untouched`, async () => {
    const { dir, db } = await syncedDb('file-read-only')
    await expectRefused(
      db,
      () => {
        chmodSync(dir, 0o777)
        chmodSync(db, 0o444)
      },
      () => runCliAs(runner, ['sync', '--db', db, '--cache-dir', join(tmp, 'changed'), '--mode', 'sequential']),
    )
  })

  it(`a database whose directory is read-only too (sync run as ${runner.name}): exit 1, a read-only error naming it, the file untouched`, async () => {
    const { dir, db } = await syncedDb('dir-read-only')
    await expectRefused(
      db,
      () => {
        chmodSync(db, 0o444)
        chmodSync(dir, 0o555)
      },
      () => runCliAs(runner, ['sync', '--db', db, '--cache-dir', join(tmp, 'changed'), '--mode', 'streaming']),
    )
  })

  it('a database on a filesystem mounted read-only (sync run as root): exit 1, a read-only error naming it, the file untouched', needsTmpfs, async () => {
    mount = { dir: join(tmp, 'ro-disk'), mounted: false }
    mount.mounted = mountTmpfs(mount.dir)
    expect(mount.mounted, 'mounting the tmpfs failed').toBe(true)
    const db = join(mount.dir, 'sync.db')
    const cli = await runCli(['sync', '--mode', 'parallel', '--db', db, '--cache-dir', join(tmp, 'cache')])
    expect(cli.code, cli.stderr).toBe(0)
    const dir = mount.dir
    await expectRefused(
      db,
      () => execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' }),
      () => runCli(['sync', '--db', db, '--cache-dir', join(tmp, 'changed'), '--mode', 'parallel']),
      // SQLite cannot open a WAL database on a read-only filesystem even to read it: writable again for the checks.
      () => execFileSync('mount', ['-o', 'remount,rw', dir], { stdio: 'pipe' }),
    )
  })
})

import { copyFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { DMR_KEYS, linesByKey } from '../helpers/change-set.js'
import { MODES, type Mode } from '../helpers/config.js'
import { checksumAll, DMR_TABLES } from '../helpers/database.js'
import { integrityCheck, newestRun, rowCounts, rowsMatchingNone, tableKeys, tableNames } from '../helpers/db-checks.js'
import { type KilledRun, runKilledAfter, runTimed } from '../helpers/kill.js'
import { createRandom } from '../helpers/seeded-random.js'
import type { ReportJson } from '../helpers/sync-json.js'
import { useTempDir } from '../helpers/temp-dir.js'

/**
 * The kill torture test: real `cachesync sync` processes, SIGKILLed at seeded-random moments
 * spread over the time a run really works on the database (after the CLI's start), resumed each time
 * until a run completes. After every kill the database must be sound and show nothing half-done; every
 * completed run must leave the tables of an uninterrupted run. Timing only chooses the kill moments; no
 * assertion depends on it.
 */

/** Enough that a run spends most of its time on the database (users: 42 chunks in streaming mode); more only lengthens each run. */
const RECORDS = 100_000
const SEED = 20_261_124
const CHANGE_RATE = 0.05
/** 3 × 5 kills of a first sync, 3 × 2 of a change set with deletes: 21 kills in all (the issue asks for 20). */
const KILLS_PER_MODE = 5
const DELETE_KILLS_PER_MODE = 2
const KILL_SEED = 4
const MODE_ARGS: Record<Mode, readonly string[]> = {
  streaming: ['--mode', 'streaming', '--chunk', '2000'],
  parallel: ['--mode', 'parallel'],
  sequential: ['--mode', 'sequential'],
}

type Sums = ReturnType<typeof checksumAll>

interface Tally {
  runs: number
  kills: number
  /** Runs started over a database that a killed run left. */
  resumes: number
  completions: number
  /** Kills that came after the run had recorded its end (while it closed the database, say). */
  lateKills: number
  /** Kills before the run had created the database file. */
  killsBeforeDb: number
  /** Rows the killed runs had committed when a resume began that then completed… */
  committedBeforeResume: number
  /** …and how many of them that resume did again (committed, but not counted in resumedRecords). */
  redone: number
}

function emptyTally(): Tally {
  return { runs: 0, kills: 0, resumes: 0, completions: 0, lateKills: 0, killsBeforeDb: 0, committedBeforeResume: 0, redone: 0 }
}

describe('SIGKILL at random moments, then resume: the end state is that of an uninterrupted run', () => {
  const tmp = useTempDir()
  const base = (): string => join(tmp(), 'cache-base')
  const changed = (): string => join(tmp(), 'cache-changed')
  /** When one uninterrupted run works on the database, per mode: a first sync, and the change set over a synced database. */
  const firstWindow = new Map<Mode, RunWindow>()
  const changeWindow = new Map<Mode, RunWindow>()
  const firstSums = new Map<Mode, Sums>()
  const finalSums = new Map<Mode, Sums>()
  /** Per table, the keys of the base file's records in file order (those the synced table holds). */
  const fileOrder = new Map<string, string[]>()
  const fileRecords = { base: new Map<string, number>(), changed: new Map<string, number>() }
  const deletedKeys = new Map<string, Set<string>>()
  const tallies = new Map<string, Tally>()

  const referenceDb = (mode: Mode): string => join(tmp(), `reference-${mode}.db`)
  const finalDb = (mode: Mode): string => join(tmp(), `reference-changed-${mode}.db`)
  const syncArgs = (mode: Mode, db: string, cacheDir: string): string[] => ['sync', ...MODE_ARGS[mode], '--db', db, '--cache-dir', cacheDir, '--json']

  beforeAll(async () => {
    await generateDmrCache({ records: RECORDS, cacheDir: base(), seed: SEED })
    await generateDmrCache({ records: RECORDS, cacheDir: changed(), seed: SEED, changeRate: CHANGE_RATE })
    for (const mode of MODES) {
      const first = await runTimed(syncArgs(mode, referenceDb(mode), base()))
      expect(first.code, first.stderr).toBe(0)
      firstWindow.set(mode, runWindow(first))
      firstSums.set(mode, checksumAll(referenceDb(mode)))
      copyDatabase(referenceDb(mode), finalDb(mode))
      const second = await runTimed(syncArgs(mode, finalDb(mode), changed()))
      expect(second.code, second.stderr).toBe(0)
      changeWindow.set(mode, runWindow(second))
      finalSums.set(mode, checksumAll(finalDb(mode)))
    }
    const reference = referenceDb('sequential')
    for (const table of DMR_TABLES) {
      const synced = new Set(tableKeys(reference, table))
      // Each file parsed once: key -> line, in file order (keys are unique, or linesByKey throws).
      const before = linesByKey(join(base(), `${table}.ndjson`), DMR_KEYS[table] as string)
      const after = linesByKey(join(changed(), `${table}.ndjson`), DMR_KEYS[table] as string)
      fileOrder.set(
        table,
        [...before.keys()].filter((key) => synced.has(key)),
      )
      fileRecords.base.set(table, before.size)
      fileRecords.changed.set(table, after.size)
      deletedKeys.set(table, new Set([...before.keys()].filter((key) => !after.has(key))))
    }
  }, 600_000)

  afterAll(() => {
    const all = emptyTally()
    for (const [name, tally] of tallies) {
      console.log(`kill-and-resume ${name}: ${describeTally(tally)}`)
      for (const key of Object.keys(all) as (keyof Tally)[]) all[key] += tally[key]
    }
    console.log(`kill-and-resume total (${RECORDS.toLocaleString('en-US')} records, seed ${SEED}): ${describeTally(all)}`)
  })

  it('the uninterrupted reference runs agree across modes, and the change set deletes rows in every table', () => {
    for (const mode of MODES) {
      expect(firstSums.get(mode), mode).toEqual(firstSums.get('sequential'))
      expect(finalSums.get(mode), mode).toEqual(finalSums.get('sequential'))
    }
    for (const table of DMR_TABLES) expect(deletedKeys.get(table)?.size, table).toBeGreaterThan(0)
  })

  it.each(MODES)(
    '%s: a first sync killed again and again ends identical to an uninterrupted one',
    async (mode) => {
      const reference = referenceDb(mode)
      const expected = firstSums.get(mode) as Sums
      const tally = await killAndResume({
        mode,
        cacheDir: base(),
        kills: KILLS_PER_MODE,
        window: firstWindow.get(mode) as RunWindow,
        random: createRandom(KILL_SEED + MODES.indexOf(mode)),
        startDb: (round) => join(tmp(), `first-${mode}-${round}.db`),
        afterKill: (db, runsBefore) => {
          const late = checkAfterKill(db, runsBefore, expected)
          const created = tableNames(db)
          for (const table of DMR_TABLES) {
            // A kill before the table was created left nothing to check in it.
            if (!created.includes(table)) continue
            // Only rows of the uninterrupted run, whole, and a prefix of the file: committed chunks.
            expect(rowsMatchingNone(db, table, [reference]), `${table}: rows that the uninterrupted run does not have`).toBe(0)
            const present = new Set(tableKeys(db, table))
            const prefix = (fileOrder.get(table) as string[]).slice(0, present.size)
            expect(prefix.filter((key) => !present.has(key)).length, `${table}: ${present.size} rows that are not the file's first ${present.size}`).toBe(0)
          }
          return late
        },
        afterComplete: (db, report, before, resuming) => {
          expect(checksumAll(db)).toEqual(expected)
          const redo = checkResumeContract(report, before, resuming, fileRecords.base, true)
          return redo
        },
      })
      tallies.set(`${mode}, first sync`, tally)
      expect(tally.kills).toBe(KILLS_PER_MODE)
    },
    900_000,
  )

  it.each(MODES)(
    '%s: a change set killed mid-run deletes nothing until its source is complete, and ends identical to an uninterrupted run',
    async (mode) => {
      const expected = finalSums.get(mode) as Sums
      const tally = await killAndResume({
        mode,
        cacheDir: changed(),
        kills: DELETE_KILLS_PER_MODE,
        window: changeWindow.get(mode) as RunWindow,
        random: createRandom(KILL_SEED * 100 + MODES.indexOf(mode)),
        startDb: (round) => {
          const db = join(tmp(), `changed-${mode}-${round}.db`)
          copyDatabase(referenceDb(mode), db)
          return db
        },
        afterKill: (db, runsBefore) => {
          const late = checkAfterKill(db, runsBefore, expected)
          for (const table of DMR_TABLES) {
            // Each row is the old one or the new one, never anything else.
            expect(rowsMatchingNone(db, table, [referenceDb(mode), finalDb(mode)]), `${table}: rows neither old nor new`).toBe(0)
            const deleted = deletedKeys.get(table) as Set<string>
            const live = tableKeys(db, table, '"_deleted_at" IS NULL').filter((key) => deleted.has(key)).length
            // Deletes come all at once with the completion of their source, or not at all.
            if (live === 0) {
              expect(checksumAll(db, [table])[table], `${table}: its deletes were applied, so it must be complete`).toEqual(expected[table])
            } else {
              expect(live, `${table}: some but not all of its ${deleted.size} vanished keys were deleted by a killed run`).toBe(deleted.size)
            }
          }
          return late
        },
        afterComplete: (db, report, before, resuming) => {
          for (const table of DMR_TABLES) {
            const deleted = deletedKeys.get(table) as Set<string>
            expect(
              tableKeys(db, table, '"_deleted_at" IS NULL').filter((key) => deleted.has(key)),
              `${table}: vanished keys still live`,
            ).toEqual([])
          }
          expect(checksumAll(db)).toEqual(expected)
          checkResumeContract(report, before, resuming, fileRecords.changed, false)
          return undefined
        },
      })
      tallies.set(`${mode}, change set`, tally)
      expect(tally.kills).toBe(DELETE_KILLS_PER_MODE)
    },
    900_000,
  )

  interface KillAndResume {
    mode: Mode
    cacheDir: string
    kills: number
    window: RunWindow
    random: () => number
    /** A database for a new round (a round ends with a completed run). */
    startDb: (round: number) => string
    /** Checks a database a kill left; returns true when the kill came after the run had recorded its end. */
    afterKill: (db: string, runsBefore: number) => boolean
    /** Checks a completed run; returns the rows it redid, when that is known. */
    afterComplete: (db: string, report: ReportJson, before: Record<string, number>, resuming: boolean) => { committed: number; redone: number } | undefined
  }

  /**
   * Runs the sync over and over, SIGKILLing each run at a random moment of its window, until `kills` kills
   * happened and a last run completed. A run that completes before its kill ends a round; the next
   * round starts from a new database.
   */
  async function killAndResume(plan: KillAndResume): Promise<Tally> {
    const tally = emptyTally()
    let round = 0
    let db = plan.startDb(round)
    let runsBefore = runCount(db)
    let resuming = false
    // The machine's load changes while the test runs: an uninterrupted run of a round renews the window.
    let window = plan.window
    while (tally.kills < plan.kills || resuming) {
      const before = rowCounts(db, DMR_TABLES)
      const args = syncArgs(plan.mode, db, plan.cacheDir)
      const run: KilledRun =
        tally.kills < plan.kills
          ? await runKilledAfter(args, window.opens + plan.random() * (window.ends - window.opens))
          : { ...(await runTimed(args)), killed: false }
      tally.runs++
      if (resuming) tally.resumes++
      if (run.killed) {
        tally.kills++
        if (!existsSync(db)) tally.killsBeforeDb++
        else if (plan.afterKill(db, runsBefore)) tally.lateKills++
        resuming = true
        continue
      }
      expect(run.code, `${plan.mode}: a run that was not killed failed:\n${run.stderr}`).toBe(0)
      const report = JSON.parse(run.stdout) as ReportJson
      expect(report.ok).toBe(true)
      expect(integrityCheck(db)).toEqual(['ok'])
      expect(newestRun(db)?.outcome).toBe('ok')
      const redo = plan.afterComplete(db, report, before, resuming)
      if (redo !== undefined && resuming) {
        tally.committedBeforeResume += redo.committed
        tally.redone += redo.redone
      }
      tally.completions++
      if (!resuming) window = runWindow(run)
      resuming = false
      if (tally.kills < plan.kills) {
        db = plan.startDb(++round)
        runsBefore = runCount(db)
      }
    }
    return tally
  }
})

/** From a run's spawn: when its sync began (the CLI's start before it touches no database), and when it ended. */
interface RunWindow {
  opens: number
  ends: number
}

/** The window of an uninterrupted `sync --json` run: its report times the sync from its start. */
function runWindow(run: { stdout: string; ms: number }): RunWindow {
  const { total } = (JSON.parse(run.stdout) as { phases: { total: number } }).phases
  return { opens: Math.max(0, run.ms - total), ends: run.ms }
}

/**
 * What every kill must leave: a sound database whose newest run row is unfinished. A run row that says
 * `ok` means the kill came after the run recorded its end (while it closed the database): then the
 * tables must be complete. Returns true for such a late kill.
 */
function checkAfterKill(db: string, runsBefore: number, complete: Sums): boolean {
  expect(integrityCheck(db), 'integrity_check after a kill').toEqual(['ok'])
  const run = newestRun(db)
  if (run === undefined || run.id <= runsBefore) return false
  // `interrupted`: a later run found this one dead before it was killed in turn; still unfinished.
  expect(['running', 'interrupted', 'ok'], `the newest sync_runs row of a killed run says ${run.outcome}`).toContain(run.outcome)
  if (run.outcome !== 'ok') return false
  expect(checksumAll(db), 'a killed run whose row says ok left incomplete tables').toEqual(complete)
  return true
}

/**
 * The resume contract of the `--json` report: each synced source gives `resumedRecords`, the records an
 * earlier killed run had committed and this run did not redo (0 on a fresh start), and its counts are
 * this run's work only, so that read + resumedRecords is the whole file. Returns the rows committed
 * before this run and how many of them it did again.
 */
function checkResumeContract(
  report: ReportJson,
  before: Record<string, number>,
  resuming: boolean,
  fileRecords: Map<string, number>,
  /** A first sync: the rows before the run are all the earlier runs' committed work, a bound for resumedRecords. */
  firstSync: boolean,
): { committed: number; redone: number } {
  let committed = 0
  let redone = 0
  for (const source of report.sources) {
    expect(['synced', 'unchanged'], source.name).toContain(source.state)
    if (source.state !== 'synced') continue
    // Soft: a gap in the report's contract is listed, and the data checks of the whole run still go on.
    const resumed = source.resumedRecords
    expect.soft(typeof resumed, `${source.name}: resumedRecords in the --json report`).toBe('number')
    // A report without the field resumed nothing: every record was read again.
    const n = typeof resumed === 'number' ? resumed : 0
    expect.soft(Number.isInteger(n) && n >= 0, `${source.name}: resumedRecords ${n}`).toBe(true)
    if (!resuming) expect.soft(n, `${source.name}: resumedRecords of a run that follows no kill`).toBe(0)
    expect.soft(source.records.read + n, `${source.name}: read + resumedRecords = the records of the file`).toBe(fileRecords.get(source.name))
    const rows = before[source.name] ?? 0
    if (firstSync) expect.soft(n, `${source.name}: resumedRecords beyond the ${rows} rows committed`).toBeLessThanOrEqual(rows)
    committed += rows
    redone += Math.max(0, rows - n)
  }
  return { committed, redone }
}

function describeTally(t: Tally): string {
  return (
    `${t.kills} kills, ${t.resumes} resumes, ${t.runs} runs, ${t.completions} completed` +
    ` (${t.lateKills} kills after the run had recorded its end, ${t.killsBeforeDb} before it had opened the database);` +
    ` rows committed by killed runs before a completing resume: ${t.committedBeforeResume.toLocaleString('en-US')}, redone: ${t.redone.toLocaleString('en-US')}`
  )
}

/** A closed database's file, and its WAL if one was left. */
function copyDatabase(from: string, to: string): void {
  copyFileSync(from, to)
  if (existsSync(`${from}-wal`)) copyFileSync(`${from}-wal`, `${to}-wal`)
}

function runCount(db: string): number {
  return newestRun(db)?.id ?? 0
}

import type { ChildProcess } from 'node:child_process'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MODES, type Mode } from '../helpers/config.js'
import { isRunning, runKilledAfter, runTimed } from '../helpers/kill.js'
import { type CliResult, finished, spawnCli } from '../helpers/run-cli.js'
import { createRandom } from '../helpers/seeded-random.js'
import type { ReportJson } from '../helpers/sync-json.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type SinkKind, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

/**
 * A sync of a source whose columns are inferred changes its table as it goes: a field first met after
 * the sample becomes a column (ADD COLUMN), an integer field that meets text is widened (a table rebuild
 * on SQLite, ALTER COLUMN TYPE on PostgreSQL), each in the transaction of the chunk that carries it.
 * A sync SIGKILLed between such a change and its chunk's commit must leave no column that `sync_schema`
 * does not explain, and the resume must end where an uninterrupted sync ends.
 *
 * Where the kill lands:
 * - PostgreSQL: the test holds a lock on `sync_schema` (the whole table for an added column; the
 *   widened column's row for a widening), which the sync writes right after its ALTER, inside the
 *   chunk's transaction. The test sees in pg_locks that the sync's backend holds the ACCESS EXCLUSIVE
 *   lock the ALTER took on the table and waits for the test's lock, then SIGKILLs the CLI.
 * - SQLite: nothing outside the process shows an uncommitted ALTER, but its write lock shows: in WAL
 *   mode a write transaction holds a POSIX lock on byte 120 of the `-shm` file, visible in /proc/locks.
 *   The test runs the sync in short SIGCONT/SIGSTOP steps and, while it is stopped, reads the committed
 *   checkpoint; it SIGKILLs it when it holds the write lock with the checkpoint just before the chunk
 *   that carries the change. The chunk's transaction takes that lock with its first statement, which
 *   precedes the ALTER by microseconds; the ALTER, and the rows after it, take the rest of it.
 * - Both: a loop of kills at seeded random moments within the time an uninterrupted run works on the
 *   database (see `killMoment`), resumed runs killed too.
 */

/**
 * A third of the file before the added field, a third between the two changes, a third after: a few
 * chunks each, which is all a kill inside, before or after a change needs (a larger file only makes
 * every run, and the stepping up to a change, longer).
 */
const RECORDS = 6_000
/** Records before the one that first holds `rating` (not in the first 1,000 the columns are inferred from). */
const ADD_AT = 2_000
/** Records before the first whose `score` is text (an integer in every record before). */
const WIDEN_AT = 4_000
const CHUNK = 500
const WORKERS = 2
const TABLE = 'items'
const KILL_SEED = 14
const RANDOM_ROUNDS = 4

type Drift = 'add' | 'widen'
const DRIFTS: readonly Drift[] = ['add', 'widen']
const DRIFT_AT: Record<Drift, number> = { add: ADD_AT, widen: WIDEN_AT }

function record(i: number): Record<string, unknown> {
  const r: Record<string, unknown> = {
    id: i + 1,
    name: `item ${i}`,
    score: (i * 37) % 1000,
    active: i % 3 === 0,
    tags: i % 4 === 0 ? ['a', String(i % 9)] : [],
  }
  if (i >= ADD_AT) r.rating = i % 5
  if (i >= WIDEN_AT && i % 7 === 0) r.score = `s${i}`
  return r
}

/**
 * The records a commit covers at most: a chunk in streaming and sequential mode; in parallel mode a
 * worker's range, the file cut in one range per worker.
 */
function commitSpan(mode: Mode): number {
  return mode === 'parallel' ? RECORDS / WORKERS : CHUNK
}

interface SchemaRow {
  column_name: string
  type: string
  position: number
  added_run: number | null
}

interface ChangeRow {
  column_name: string
  change: string
  from_type: string | null
  to_type: string
  run_id: number | null
}

/** The type a sink gives a column of this inferred type (PRAGMA table_info's, or information_schema's). */
function sinkType(kind: SinkKind, type: string): string {
  if (kind === 'sqlite') return type === 'integer' || type === 'boolean' ? 'INTEGER' : type === 'real' ? 'REAL' : 'TEXT'
  return { integer: 'bigint', real: 'double precision', boolean: 'boolean', json: 'json' }[type] ?? 'text'
}

/** When an uninterrupted run, from its spawn, began its sync (opened the database), began to write chunks, and ended. */
interface KillWindow {
  opens: number
  writes: number
  ends: number
}

/**
 * A kill moment from a uniform draw: one kill in four while the sync prepares the database (where the
 * table is made from the sample), three in four while it writes chunks (where the columns change). A
 * kill during the CLI's start would find no database to look at.
 */
function killMoment({ opens, writes, ends }: KillWindow, u: number): number {
  return u < 0.25 ? opens + (u / 0.25) * (writes - opens) : writes + ((u - 0.25) / 0.75) * (ends - writes)
}

/** What the tests read of a database: its table, what `sync_schema` and its changes record, the checkpoint, the newest run. */
interface DbState {
  /** The table's columns in order with the sink's types; none where the table is not there. */
  columns: { name: string; type: string }[]
  schema: SchemaRow[]
  changes: ChangeRow[]
  /** The records the source's checkpoint says are committed; 0 without one. */
  committed: number
  /** The outcome of the newest `sync_runs` row; undefined without one. */
  outcome: string | undefined
}

/** Runs a query on one test database (unqualified names are its tables). */
type Query = <T>(sql: string) => Promise<T[]>

async function readState(db: TestDatabase, query: Query): Promise<DbState> {
  const none: DbState = { columns: [], schema: [], changes: [], committed: 0, outcome: undefined }
  if (db.kind === 'sqlite' && !db.exists()) return none
  const has = async (table: string): Promise<boolean> =>
    (db.kind === 'sqlite'
      ? await query(`SELECT name FROM sqlite_master WHERE name = '${table}'`)
      : await query(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '${table}'`)
    ).length > 0
  const columns =
    db.kind === 'sqlite'
      ? await query<{ name: string; type: string }>(`SELECT name, type FROM pragma_table_info('${TABLE}') ORDER BY cid`)
      : await query<{ name: string; type: string }>(
          `SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${TABLE}' ORDER BY ordinal_position`,
        )
  const newest = (await has('sync_runs')) ? await query<{ outcome: string }>('SELECT outcome FROM sync_runs ORDER BY id DESC LIMIT 1') : []
  if (!(await has('sync_schema_changes'))) return { ...none, columns, outcome: newest[0]?.outcome }
  const checkpoint = await query<{ records: number | string }>(`SELECT records_done AS records FROM sync_checkpoints WHERE source = '${TABLE}'`)
  return {
    columns,
    schema: (await query<SchemaRow>(`SELECT column_name, type, position, added_run FROM sync_schema WHERE source = '${TABLE}' ORDER BY position`)).map(
      (row) => ({ ...row, position: Number(row.position) }),
    ),
    changes: await query<ChangeRow>(`SELECT column_name, change, from_type, to_type, run_id FROM sync_schema_changes WHERE source = '${TABLE}' ORDER BY id`),
    committed: Number(checkpoint[0]?.records ?? 0),
    outcome: newest[0]?.outcome,
  }
}

/**
 * What any state of the database must show, killed or not: the table's columns are those `sync_schema`
 * records, of the types it records; each recorded column was added once and then widened step by step
 * to its recorded type, and no change names a column that is not there.
 */
function expectExplained(kind: SinkKind, state: DbState, when: string): void {
  const table = state.columns.filter((c) => c.name !== '_hash' && c.name !== '_deleted_at')
  expect(table.map((c) => c.name).sort(), `${when}: the table's columns against sync_schema's`).toEqual(state.schema.map((c) => c.column_name).sort())
  const types = new Map(table.map((c) => [c.name, c.type]))
  for (const column of state.schema) {
    expect(types.get(column.column_name), `${when}: ${column.column_name} is recorded as ${column.type}`).toBe(sinkType(kind, column.type))
  }
  const seen = new Set<string>()
  for (const change of state.changes) {
    const id = JSON.stringify([change.column_name, change.change, change.from_type, change.to_type])
    expect(seen.has(id), `${when}: change recorded twice: ${id}`).toBe(false)
    seen.add(id)
  }
  for (const column of state.schema) {
    const mine = state.changes.filter((c) => c.column_name === column.column_name)
    const added = mine.filter((c) => c.change === 'added')
    expect(added.length, `${when}: ${column.column_name}: 'added' changes`).toBe(1)
    let type = added[0]?.to_type
    for (const widened of mine.filter((c) => c.change === 'widened')) {
      expect(widened.from_type, `${when}: ${column.column_name} widened from a type it did not have`).toBe(type)
      type = widened.to_type
    }
    expect(type, `${when}: ${column.column_name}: its changes end at another type than recorded`).toBe(column.type)
  }
  const names = new Set(state.schema.map((c) => c.column_name))
  const orphans = state.changes.filter((c) => !names.has(c.column_name))
  expect(orphans, `${when}: changes recorded without their column`).toEqual([])
}

/** What the final state is compared on: the table (columns, and every row in key order) and the changes, run ids left out. */
function finalState(db: TestDatabase, state: DbState): { columns: { name: string; type: string }[]; rows: unknown; schema: unknown; changes: unknown } {
  return {
    columns: state.columns,
    rows: db.checksum([TABLE]),
    schema: state.schema.map(({ column_name, type, position }) => ({ column_name, type, position })),
    changes: state.changes.map(({ column_name, change, from_type, to_type }) => ({ column_name, change, from_type, to_type })),
  }
}

describe.each(SINK_KINDS)('inferred columns survive SIGKILL on %s', (kind) => {
  describe(`${kind}: a sync killed between an ALTER and its chunk's commit`, requireSink(kind), () => {
    const tmp = useTempDir()
    const database = useTestSink(kind, tmp)
    const config = (): string => join(tmp(), 'cachesync.json')
    const cacheDir = (): string => join(tmp(), 'cache')
    const reference = new Map<Mode, ReturnType<typeof finalState>>()
    const window = new Map<Mode, KillWindow>()
    const tally = { targeted: 0, steps: 0, missed: 0, random: 0, randomKills: 0, afterCommit: 0, resumes: 0 }

    /**
     * PostgreSQL is read through one connection kept for the block: the helper's psql costs a process
     * and a connection a query (about 0.1 s on two shared cores), and every kill is followed by a dozen.
     */
    let pgReader: pg.Client | undefined
    const queryOn =
      (db: TestDatabase): Query =>
      async <T>(sql: string) => {
        if (pgReader === undefined) return db.query<T>(sql)
        await pgReader.query(`SET search_path TO "${db.schema}"`)
        return (await pgReader.query(sql)).rows as T[]
      }
    const stateOf = (db: TestDatabase): Promise<DbState> => readState(db, queryOn(db))

    const args = (db: TestDatabase, mode: Mode): string[] => [
      'sync',
      '--config',
      config(),
      '--cache-dir',
      cacheDir(),
      ...db.args,
      '--mode',
      mode,
      '--chunk',
      String(CHUNK),
      '--workers',
      String(WORKERS),
      '--json',
      '--no-progress',
      '--log-level',
      'warn',
    ]

    beforeAll(async () => {
      if (kind === 'postgres') {
        pgReader = new pg.Client({ connectionString: database('any').target })
        await pgReader.connect()
      }
      mkdirSync(cacheDir(), { recursive: true })
      mkdirSync(join(tmp(), 'data'), { recursive: true })
      const lines: string[] = []
      for (let i = 0; i < RECORDS; i++) lines.push(JSON.stringify(record(i)))
      writeFileSync(join(cacheDir(), `${TABLE}.ndjson`), `${lines.join('\n')}\n`)
      writeFileSync(config(), JSON.stringify({ sources: [{ name: TABLE }] }))
      for (const mode of MODES) {
        const db = database(`reference_${mode}`)
        const run = await runTimed(args(db, mode), db.env)
        expect(run.code, run.stderr).toBe(0)
        // The report times the sync from its start: what comes before is the CLI's start, which touches no database.
        const { total, dbInit } = (JSON.parse(run.stdout) as { phases: { total: number; dbInit: number } }).phases
        const opens = Math.max(0, run.ms - total)
        window.set(mode, { opens, writes: opens + dbInit, ends: run.ms })
        const state = await stateOf(db)
        expectExplained(kind, state, `reference ${mode}`)
        reference.set(mode, finalState(db, state))
      }
    }, 300_000)

    afterAll(async () => {
      await pgReader?.end()
      console.log(
        `inferred-columns-survive-sigkill ${kind}: ${tally.targeted} kills inside a schema change` +
          (kind === 'sqlite' ? ` (${tally.steps} SIGSTOP steps, ${tally.missed} runs that passed the change unstopped)` : '') +
          `; ${tally.randomKills} kills at random moments in ${tally.random} rounds (${tally.afterCommit} after a chunk's commit); ${tally.resumes} resumes`,
      )
    })

    it('the uninterrupted runs agree across modes, and added and widened a column', () => {
      const changes = reference.get('sequential')?.changes
      expect(changes).toContainEqual({ column_name: 'rating', change: 'added', from_type: null, to_type: 'integer' })
      expect(changes).toContainEqual({ column_name: 'score', change: 'widened', from_type: 'integer', to_type: 'text' })
      for (const mode of MODES) expect(reference.get(mode), mode).toEqual(reference.get('sequential'))
    })

    /**
     * Resumes a killed run to completion: it must report ok, take up after the committed part, and leave
     * what an uninterrupted run leaves.
     */
    async function resumeAndCompare(db: TestDatabase, mode: Mode, committed: number): Promise<void> {
      const resumed = await runTimed(args(db, mode), db.env)
      tally.resumes++
      expect(resumed.code, resumed.stderr).toBe(0)
      const report = JSON.parse(resumed.stdout) as ReportJson
      expect(report.ok).toBe(true)
      const source = report.sources.find((s) => s.name === TABLE)
      // A kill after the source's end was committed (its checkpoint cleared) leaves nothing to resume.
      expect(['synced', 'unchanged']).toContain(source?.state)
      if (source?.state === 'synced') expect(source.resumedRecords, 'the resume takes up after the committed part').toBe(committed)
      else expect(committed).toBe(0)
      const state = await stateOf(db)
      expectExplained(kind, state, `${mode}: after the resume`)
      expect(finalState(db, state), `${mode}: the resumed table against an uninterrupted run's`).toEqual(reference.get(mode))
      expect(state.outcome).toBe('ok')
    }

    /** After a kill inside the change of `drift`: that change is not there, the one before it is. */
    function expectKilledBefore(state: DbState, drift: Drift, when: string): void {
      expectExplained(kind, state, when)
      expect(state.committed, `${when}: the checkpoint is past the change's record`).toBeLessThanOrEqual(DRIFT_AT[drift])
      const rating = state.schema.find((c) => c.column_name === 'rating')
      const score = state.schema.find((c) => c.column_name === 'score')
      if (drift === 'add') expect(rating, `${when}: the added column outlived the kill`).toBeUndefined()
      else expect(rating?.type, `${when}: the column added before the widening`).toBe('integer')
      expect(score?.type, `${when}: the widened column`).toBe('integer')
    }

    for (const drift of DRIFTS) {
      it.each(MODES)(
        `%s: killed inside the ${drift === 'add' ? 'ADD COLUMN' : 'widening'}, resumed, equal to an uninterrupted run`,
        async (mode) => {
          const { killed, db } =
            kind === 'postgres' ? await killInsidePgChange(database(`${drift}_${mode}`), mode, drift) : await killInsideSqliteChange(mode, drift)
          expect(killed.signal, killed.stderr).toBe('SIGKILL')
          tally.targeted++
          const state = await stateOf(db)
          expectKilledBefore(state, drift, `${mode}: after the kill inside the ${drift}`)
          expect(state.outcome).toBe('running')
          await resumeAndCompare(db, mode, state.committed)
        },
        300_000,
      )
    }

    it('killed at seeded random moments, resumes killed too, every state explained and every end equal to an uninterrupted run', async () => {
      const random = createRandom(KILL_SEED + SINK_KINDS.indexOf(kind))
      for (let round = 0; round < RANDOM_ROUNDS * MODES.length; round++) {
        const mode = MODES[round % MODES.length] as Mode
        const db = database(`random_${round}`)
        tally.random++
        // Up to two kills a round: the first sync's, then its resume's; then a resume that completes.
        for (let kill = 0; kill < 2; kill++) {
          const run = await runKilledAfter(args(db, mode), killMoment(window.get(mode) as KillWindow, random()), db.env)
          if (!run.killed) {
            expect(run.code, run.stderr).toBe(0)
            break
          }
          tally.randomKills++
          if (kind === 'postgres') await backendsGone(queryOn(db))
          const state = await stateOf(db)
          if (state.committed > 0) tally.afterCommit++
          expectExplained(kind, state, `${mode}, round ${round}, kill ${kill + 1}`)
          // What a checkpoint covers is in the table: a column first met in the committed part is there.
          if (state.committed > ADD_AT) expect(state.schema.some((c) => c.column_name === 'rating')).toBe(true)
          if (state.committed > WIDEN_AT) expect(state.schema.find((c) => c.column_name === 'score')?.type).toBe('text')
        }
        const last = await stateOf(db)
        if (last.outcome === 'ok') {
          expectExplained(kind, last, `${mode}, round ${round}, completed`)
          expect(finalState(db, last)).toEqual(reference.get(mode))
        } else {
          await resumeAndCompare(db, mode, last.committed)
        }
      }
      expect(tally.randomKills).toBeGreaterThan(0)
    }, 900_000)

    /**
     * PostgreSQL: the sync blocked by the test's lock on `sync_schema` right after its ALTER, then
     * SIGKILLed; the lock is let go once the CLI is dead, and the test waits for its backends to end.
     */
    async function killInsidePgChange(db: TestDatabase, mode: Mode, drift: Drift): Promise<{ killed: CliResult; db: TestDatabase }> {
      const client = new pg.Client({ connectionString: db.target })
      await client.connect()
      try {
        const schema = db.schema as string
        await client.query(`SET search_path TO "${schema}"`)
        const child = spawnCli(args(db, mode), db.env)
        const done = finished(child)
        const pattern = `% pid ${child.pid}`
        // The sample's columns are recorded (and the table made) before the first chunk.
        const ready = await pollWhileRunning(child, async () => {
          const { rows } = await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_tables t WHERE t.schemaname = $1 AND t.tablename = 'sync_schema'
             AND EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = '${TABLE}')`,
            [schema],
          )
          if (rows[0]?.n !== '1') return false
          const found = await client.query(`SELECT 1 FROM sync_schema WHERE source = '${TABLE}'`)
          return (found.rowCount ?? 0) > 0
        })
        expect(ready, 'the sync ended before it recorded its columns').toBe(true)
        await client.query('BEGIN')
        // An added column's row is inserted after ADD COLUMN; a widened one's updated after ALTER COLUMN TYPE.
        if (drift === 'add') await client.query('LOCK TABLE sync_schema IN SHARE MODE')
        else await client.query(`SELECT 1 FROM sync_schema WHERE source = '${TABLE}' AND column_name = 'score' FOR UPDATE`)
        const { rows: before } = await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM sync_schema WHERE source = '${TABLE}' AND (column_name = 'rating' AND $1 = 'add' OR column_name = 'score' AND type <> 'integer')`,
          [drift],
        )
        expect(before[0]?.n, 'the sync committed the change before the test took its lock').toBe('0')
        const blocked = await pollWhileRunning(child, async () => {
          const { rows } = await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM pg_stat_activity a
             WHERE a.application_name LIKE $1 AND a.wait_event_type = 'Lock' AND pg_backend_pid() = ANY (pg_blocking_pids(a.pid))
             AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.granted AND l.mode = 'AccessExclusiveLock'
                         AND l.relation = to_regclass($2))`,
            [pattern, `"${schema}".${TABLE}`],
          )
          return rows[0]?.n === '1'
        })
        expect(blocked, 'the sync ended without waiting for the lock after its ALTER').toBe(true)
        child.kill('SIGKILL')
        const result = await done
        // The backend waits on, for the lock, not knowing its client is gone: let go, and it finds out.
        await client.query('ROLLBACK')
        await backendsGone(queryOn(db))
        return { killed: result, db }
      } finally {
        await client.end()
      }
    }

    /** SQLite: the sync stepped with SIGSTOP/SIGCONT until it is stopped inside the change's chunk transaction. */
    async function killInsideSqliteChange(mode: Mode, drift: Drift): Promise<{ killed: CliResult; db: TestDatabase }> {
      const at = DRIFT_AT[drift]
      // A run can pass the change between two steps: it is then let finish, and another run tried on a new file.
      for (let attempt = 0; attempt < 8; attempt++) {
        const db = database(`${drift}_${mode}_${attempt}`)
        const child = spawnCli(args(db, mode), db.env)
        const done = finished(child)
        const stopped = await stepUntil(child, db.path as string, at, (s) => s.writing && s.committed <= at && s.committed + commitSpan(mode) > at)
        if (stopped) {
          child.kill('SIGKILL')
          return { killed: await done, db }
        }
        tally.missed++
        const result = await done
        expect(result.code, result.stderr).toBe(0)
      }
      throw new Error(`${mode}: no run was stopped inside the ${drift} in 8 attempts`)
    }

    /**
     * Lets the child run in short steps: SIGCONT, a moment, SIGSTOP, then a look at the stopped process
     * (its write lock) and its database (the committed checkpoint, whether the columns are recorded).
     * Returns true with the child stopped once `inside` holds; false when it ended or passed the change.
     */
    async function stepUntil(
      child: ChildProcess,
      path: string,
      driftAt: number,
      inside: (at: { writing: boolean; committed: number }) => boolean,
    ): Promise<boolean> {
      const pid = child.pid as number
      let reader: Database.Database | undefined
      try {
        while (isRunning(child)) {
          if (!signal(pid, 'SIGSTOP')) return false
          await stoppedState(child)
          if (!isRunning(child)) return false
          tally.steps++
          reader ??= openReader(path)
          const at = reader === undefined ? undefined : look(reader, pid, path)
          if (at?.recorded && inside(at)) return true
          if (at !== undefined && at.committed > driftAt) {
            signal(pid, 'SIGCONT')
            return false
          }
          signal(pid, 'SIGCONT')
          // Near the change, the step is as short as a signal's round trip; before it, a few milliseconds.
          await sleep(at?.recorded === true ? 0 : 2)
        }
        return false
      } finally {
        reader?.close()
      }
    }
  })
})

/** Polls an async condition while the child runs; true once it holds, false if the child ended first. */
async function pollWhileRunning(child: ChildProcess, condition: () => Promise<boolean>): Promise<boolean> {
  while (isRunning(child)) {
    if (await condition().catch(() => false)) return true
    await sleep(2)
  }
  return false
}

/**
 * Waits until no PostgreSQL backend of a killed CLI is left: a backend finds out that its client is
 * gone only at its next read, after the statement it runs. One CLI runs at a time in this file.
 */
async function backendsGone(query: Query): Promise<void> {
  for (;;) {
    const left = (await query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'cachesync %'"))[0]?.n
    if (left === 0) return
    await sleep(20)
  }
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name)
    return true
  } catch {
    return false
  }
}

/** Waits for the child's main thread to be stopped (state T in /proc), or for it to end. */
async function stoppedState(child: ChildProcess): Promise<void> {
  for (;;) {
    if (!isRunning(child)) return
    let state: string | undefined
    try {
      state = readFileSync(`/proc/${child.pid}/stat`, 'utf8').replace(/^.*\) /s, '')[0]
    } catch {
      return
    }
    if (state === 'T' || state === 't' || state === 'Z') return
    await sleep(0)
  }
}

function openReader(path: string): Database.Database | undefined {
  try {
    statSync(`${path}-shm`)
    return new Database(path, { readonly: true, fileMustExist: true, timeout: 0 })
  } catch {
    return undefined
  }
}

/** The stopped sync as the test sees it: whether it holds SQLite's write lock, what it committed. */
function look(reader: Database.Database, pid: number, path: string): { writing: boolean; committed: number; recorded: boolean } | undefined {
  try {
    const recordedColumns = reader.prepare(`SELECT count(*) FROM sync_schema WHERE source = '${TABLE}'`).pluck().get() as number
    const committed = (reader.prepare(`SELECT records_done FROM sync_checkpoints WHERE source = '${TABLE}'`).pluck().get() as number | undefined) ?? 0
    return { writing: holdsWalWriteLock(pid, `${path}-shm`), committed, recorded: recordedColumns > 0 }
  } catch {
    // Not made yet, or busy: no look this step.
    return undefined
  }
}

/**
 * True when the process holds the WAL write lock: SQLite's unix VFS takes it as a POSIX write lock on
 * byte 120 of the `-shm` file (its locks start at 120; the write lock is the first).
 */
function holdsWalWriteLock(pid: number, shm: string): boolean {
  const inode = statSync(shm).ino
  return readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .map((line) => line.split(/\s+/).filter((f) => f !== '' && f !== '->'))
    .some((f) => f[1] === 'POSIX' && f[3] === 'WRITE' && f[4] === String(pid) && f[5]?.endsWith(`:${inode}`) === true && f[6] === '120' && f[7] === '120')
}

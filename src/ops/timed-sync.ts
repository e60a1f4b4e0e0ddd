import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { type ResolvedConfig, resolveConfig } from '../config/resolve-config.js'
import { runSync } from '../engine/sync.js'
import { emptyCounts, type SyncReport } from '../engine/sync-report.js'
import { generateDmrCache } from '../generate/dmr-generator.js'
import { liveRowsDir, removeDatabaseFiles } from '../sink/sqlite/database-files.js'
import { copyForDryRun } from '../sink/sqlite/dry-run-copy.js'
import type { Logger } from '../util/logger.js'
import { isProcessAlive } from '../util/process-alive.js'
import type { Measurement } from './monitor-rules.js'
import type { RecordedRun } from './run-history.js'

/** The prefix of a synthetic check's scratch directory beside the database: `.cachesync-monitor-<pid>`. */
const SYNTHETIC_DIR_PREFIX = '.cachesync-monitor-'

/**
 * Times a sync of the current cache into a scratch copy of the database (SQLite's online backup, as a
 * dry run takes it), every source read even when its cache did not change, so that the time is that of
 * reading, checking and writing the whole cache against the real tables. The production file is never
 * opened for writing and its lock is not taken: a sync running meanwhile is not disturbed.
 */
export async function timeScratchSync(config: ResolvedConfig, logger: Logger): Promise<Measurement> {
  const scratch = await copyForDryRun(config.db)
  copyLiveRows(config.db, scratch)
  try {
    // The sink too: the copy, never the production file.
    return await timed('run', { ...config, db: scratch, sink: { kind: 'sqlite', path: scratch } }, logger)
  } finally {
    removeScratch(scratch)
  }
}

/**
 * Times a first sync of `records` generated DMR records (`cachesync generate`, seed 1) into an empty
 * database: a check of the machine and the engine that does not depend on upstream or on the cache.
 * The scratch goes beside the database, on the same disk, and is removed afterwards.
 */
export async function timeSyntheticSync(config: ResolvedConfig, records: number, logger: Logger): Promise<Measurement> {
  const parent = dirname(config.db)
  removeDeadScratch(parent)
  const dir = join(parent, `${SYNTHETIC_DIR_PREFIX}${process.pid}`)
  try {
    await generateDmrCache({ records, cacheDir: join(dir, 'cache'), seed: 1 })
    const synthetic = resolveConfig({
      env: {},
      flags: { db: join(dir, 'monitor.db'), cacheDir: join(dir, 'cache'), mode: config.mode, chunk: config.chunk, workers: config.workers },
      defaultWorkers: config.workers,
    })
    return await timed('synthetic', synthetic, logger)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The newest finished run of the database as a measurement; a missing database or run is a failed one. */
/** A measurement of a sync that did not run or did not finish: nothing but why. */
function noMeasurement(kind: Measurement['kind'], startedAt: string | undefined, error: string): Measurement {
  return {
    kind,
    ok: false,
    seconds: undefined,
    records: emptyCounts(),
    recordsPerSec: undefined,
    peakRssMb: undefined,
    mode: undefined,
    runId: undefined,
    startedAt,
    error,
  }
}

export function lastRunMeasurement(run: RecordedRun | undefined, dbPath: string, dbExists: boolean): Measurement {
  if (run === undefined) {
    return noMeasurement('last', undefined, dbExists ? `no finished sync recorded in ${dbPath}` : `no database at ${dbPath} yet`)
  }
  return {
    kind: 'last',
    ok: run.outcome === 'ok',
    seconds: run.phases === undefined ? undefined : run.phases.total / 1000,
    records: run.records,
    recordsPerSec: run.recordsPerSec,
    peakRssMb: run.peakRssMb,
    mode: run.mode,
    runId: run.id,
    startedAt: run.startedAt,
    error: run.outcome === 'ok' ? undefined : `run ${run.id} ended ${run.outcome}${run.error ? `: ${run.error.replaceAll('\n', '; ')}` : ''}`,
  }
}

async function timed(kind: 'run' | 'synthetic', config: ResolvedConfig, logger: Logger): Promise<Measurement> {
  const startedAt = new Date().toISOString()
  let report: SyncReport
  try {
    report = await runSync(config, { force: true, logger })
  } catch (err) {
    // A configuration the sync refuses is the operator's mistake, not a failed sync.
    const code = (err as { code?: unknown })?.code
    if (code === 'ERR_CONFIG' || code === 'ERR_USAGE') throw err
    return noMeasurement(kind, startedAt, (err as Error)?.message ?? String(err))
  }
  const failed = report.sources.flatMap((s) => (s.state === 'failed' ? [`${s.name}: ${s.error}`] : []))
  return {
    kind,
    ok: report.ok,
    seconds: report.phases.total / 1000,
    records: report.records,
    recordsPerSec: report.recordsPerSec,
    peakRssMb: report.peakRssMb,
    mode: report.mode,
    runId: undefined,
    startedAt,
    error: failed.length > 0 ? failed.join('; ') : undefined,
  }
}

/** The scratch copy, with the lock file its sync took. */
function removeScratch(path: string): void {
  removeDatabaseFiles(path)
  rmSync(`${path}.lock`, { force: true })
}

/**
 * The saved live rows go with the copy, so that it syncs as the database itself would. Best effort: a
 * sync pruning them meanwhile only makes the copy read its tables.
 */
function copyLiveRows(db: string, scratch: string): void {
  try {
    cpSync(liveRowsDir(db), liveRowsDir(scratch), { recursive: true })
  } catch {
    rmSync(liveRowsDir(scratch), { recursive: true, force: true })
  }
}

/** Scratch directories of synthetic checks whose process is gone (killed mid-check). */
function removeDeadScratch(parent: string): void {
  if (!existsSync(parent)) return
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(SYNTHETIC_DIR_PREFIX)) continue
    const pid = Number(name.slice(SYNTHETIC_DIR_PREFIX.length))
    if (Number.isInteger(pid) && pid > 0 && !isProcessAlive(pid)) rmSync(join(parent, basename(name)), { recursive: true, force: true })
  }
}

import { existsSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { type ResolvedConfig, resolveConfig } from '../config/resolve-config.js'
import { runSync } from '../engine/sync.js'
import { emptyCounts, type SyncReport } from '../engine/sync-report.js'
import { generateDmrCache } from '../generate/dmr-generator.js'
import { createScratchCopy } from '../sink/open-sink.js'
import type { RecordedRun } from '../sink/recorded-run.js'
import type { Logger } from '../util/logger.js'
import { isProcessAlive } from '../util/process-alive.js'
import type { Measurement } from './monitor-rules.js'

/** The prefix of a synthetic check's scratch directory beside the database: `.cachesync-monitor-<pid>`. */
const SYNTHETIC_DIR_PREFIX = '.cachesync-monitor-'

/**
 * Times a sync of the current cache into a scratch copy of the database (see `createScratchCopy`: a
 * copy of the SQLite file, or a scratch schema of the PostgreSQL database), every source read even
 * when its cache did not change, so that the time is that of reading, checking and writing the whole
 * cache against the real tables. The production tables are only read and their locks are not taken:
 * a sync running meanwhile is not disturbed.
 */
export async function timeScratchSync(config: ResolvedConfig, logger: Logger): Promise<Measurement> {
  const scratch = await createScratchCopy(config.sink, config.sources, logger)
  try {
    return await timed('run', { ...config, sink: scratch.sink }, logger)
  } finally {
    // What was measured stands. A scratch left behind goes later: a SQLite copy with the next sync
    // beside it, a PostgreSQL scratch schema with the next monitor.
    await scratch.remove().catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'cannot remove the scratch copy'))
  }
}

/**
 * Times a first sync of `records` generated DMR records (`cachesync generate`, seed 1) into an empty
 * SQLite file: a check of the machine and the engine that does not depend on upstream or on the cache.
 * It is a SQLite file whatever the sink, since it checks this host, not a server. The scratch goes
 * beside a SQLite database, on the same disk (into the temp directory when the sink is PostgreSQL),
 * and is removed afterwards.
 */
export async function timeSyntheticSync(config: ResolvedConfig, records: number, logger: Logger): Promise<Measurement> {
  const parent = config.sink.kind === 'sqlite' ? dirname(config.sink.path) : tmpdir()
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

/**
 * The newest finished run of the database as a measurement; a missing database (`missing` says why)
 * or run is a failed one.
 */
export function lastRunMeasurement(run: RecordedRun | undefined, target: string, missing: string | undefined): Measurement {
  if (run === undefined) return noMeasurement('last', undefined, missing ?? `no finished sync recorded in ${target}`)
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

/** Scratch directories of synthetic checks whose process is gone (killed mid-check). */
function removeDeadScratch(parent: string): void {
  if (!existsSync(parent)) return
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(SYNTHETIC_DIR_PREFIX)) continue
    const pid = Number(name.slice(SYNTHETIC_DIR_PREFIX.length))
    if (Number.isInteger(pid) && pid > 0 && !isProcessAlive(pid)) rmSync(join(parent, basename(name)), { recursive: true, force: true })
  }
}

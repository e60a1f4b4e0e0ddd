import { mkdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import type { ResolvedConfig } from '../config/resolve-config.js'
import type { BackupOptions } from '../sink/backup-files.js'
import { sinkHasDatabase } from '../sink/backup-sink.js'
import { openSink } from '../sink/open-sink.js'
import type { Sink } from '../sink/sink.js'
import { type Logger, silentLogger } from '../util/logger.js'
import { loadRowHash } from '../util/row-hash.js'
import { createWorkerPool, type WorkerPool } from '../workers/pool.js'
import { backupBefore } from './backup-before.js'
import { buildReport, timePhases } from './build-report.js'
import { chooseMode } from './choose-mode.js'
import { ChunkSizer } from './chunk-sizer.js'
import { rewriteWhereDuplicateKeys } from './duplicate-keys.js'
import { finishSources } from './finish-source.js'
import { type MaintenanceMode, runMaintenance } from './maintenance.js'
import { MemoryGuard, memoryThresholdFromEnv } from './memory-guard.js'
import { probeMemory } from './memory-probe.js'
import { runMode } from './modes/run-mode.js'
import { planJobs } from './plan-jobs.js'
import { resolveOpenSources } from './resolve-open-sources.js'
import { runRecord } from './run-record.js'
import type { BusyTimes, ModeContext, ProgressEvent, SourceRun } from './source-job.js'
import { isStopped, throwIfStopped, throwIfStoppedMidway } from './stop-request.js'
import type { SyncReport } from './sync-report.js'

/**
 * Options of {@link runSync}; all optional.
 *
 * @example
 * const stop = new AbortController()
 * await runSync(config, { logger: pino(), dryRun: true, signal: stop.signal })
 */
export interface SyncOptions {
  /** Report what a sync would do, on a scratch copy; the database is not touched. @default false */
  dryRun?: boolean
  /** Sync sources whose cache file has not changed since their last sync. @default false */
  force?: boolean
  /** Where the run logs (any pino logger fits). @default silent */
  logger?: Logger
  /** Called as each source's file is read, for a progress bar. */
  onProgress?: (event: ProgressEvent) => void
  /** Where the memory limit override is read. @default process.env */
  env?: NodeJS.ProcessEnv
  /** Maintenance after the run. @default 'auto' (ANALYZE when many rows changed) */
  vacuum?: MaintenanceMode
  /** Take a verified backup of the database (`cachesync backup`) before writing. @default false */
  backupBefore?: boolean | BackupOptions
  /** Size transactions to about 250 ms each as the run goes (`--chunk auto`). @default false */
  adaptiveChunk?: boolean
  /** RSS past which the sync backs off. @default env CACHESYNC_MEMORY_THRESHOLD_MB, else 500 */
  memoryThresholdMb?: number
  /**
   * Stops the run between chunks (streaming), merges (parallel) or sources (sequential): the chunk in
   * flight is committed or dropped, the run recorded `interrupted`, and `runSync` rejects with
   * `ERR_ABORTED`; the next sync resumes after the last commit. A stop that comes once every source was
   * written lets the run finish.
   */
  signal?: AbortSignal
}

/**
 * Loads the cache files into the database: the `sync` stage. A source that fails is reported in its
 * `SourceReport` (`state: 'failed'`) and the others go on; the promise rejects only when the run as a whole
 * cannot go on (a bad configuration, the database locked or failing, a stop requested through `signal`).
 *
 * @example
 * const report = await runSync(resolveConfig({ flags: { db: './data/dmr.db', cacheDir: './cache' } }))
 * console.log(report.ok, report.mode, report.records.inserted, Math.round(report.phases.total), 'ms')
 */
export async function runSync(config: ResolvedConfig, options: SyncOptions = {}): Promise<SyncReport> {
  const logger = options.logger ?? silentLogger
  const started = performance.now()
  const busy: BusyTimes = { read: 0, transform: 0, write: 0 }
  const memoryThresholdMb = options.memoryThresholdMb ?? memoryThresholdFromEnv(options.env ?? process.env)
  await loadRowHash()
  const backupOptions = options.backupBefore && !options.dryRun ? (options.backupBefore === true ? {} : options.backupBefore) : undefined
  // Whether there is anything to back up is known only before the sink is opened (which creates it).
  const hasDatabase = backupOptions !== undefined && (await sinkHasDatabase(config.sink))
  const sink = await openSink(config.sink, { dryRun: options.dryRun ?? false, logger })
  let pool: WorkerPool | undefined
  let runId: number | undefined
  const memory = new MemoryGuard(memoryThresholdMb, logger).start()
  try {
    const backup = backupOptions === undefined ? undefined : await backupBefore(config, hasDatabase, backupOptions, logger)
    await sink.prepare(config.sources)
    const interrupted = await sink.markInterruptedRuns()
    if (interrupted > 0) logger.warn({ runs: interrupted }, 'an earlier sync did not finish (killed?): its committed chunks are kept and resumed')
    const currentRun = await sink.startRun(new Date())
    runId = currentRun
    // Sources with inferred columns learn them first: from their table, or from their cache file.
    const resolved = await resolveOpenSources(config.sources, config.cacheDir, sink)
    await sink.ensureSchema(
      resolved.flatMap((r) => ('error' in r ? [] : [r.source])),
      currentRun,
    )
    const dbInit = performance.now() - started

    const planStarted = performance.now()
    const policy = config.sink.kind === 'postgres' ? config.sink.lock : 'wait'
    const { jobs, skipped } = await planJobs(
      config,
      resolved,
      sink,
      { force: options.force ?? false, runId: currentRun, policy, workDir: sink.stagingDir },
      logger,
    )
    busy.read += performance.now() - planStarted
    const runnable = jobs.flatMap((j) => ('job' in j ? [j.job] : []))
    const choice = chooseMode({
      requested: config.mode,
      chunk: config.chunk,
      memory: probeMemory(options.env),
      cacheBytes: runnable.reduce((sum, job) => sum + job.file.bytes, 0),
      largestFileBytes: Math.max(0, ...runnable.map((job) => job.file.bytes)),
    })
    const chunks = new ChunkSizer(choice.chunk, { adaptive: options.adaptiveChunk ?? false })
    logger.info({ mode: choice.mode, chunk: options.adaptiveChunk ? `auto from ${chunks.size}` : choice.chunk, reason: choice.reason }, 'mode chosen')
    sink.tune({ lowMemory: choice.mode === 'streaming', writes: runnable.length > 0 })
    const workers = choice.mode === 'parallel' ? Math.min(config.workers, availableParallelism() * 2) : 0
    if (choice.mode === 'parallel' && runnable.length > 0) {
      mkdirSync(sink.stagingDir, { recursive: true })
      pool = await createWorkerPool({ threads: workers })
    }
    const ctx: ModeContext = {
      sink,
      chunks,
      memory,
      logger,
      busy,
      pool,
      stagingDir: sink.stagingDir,
      stagingFormat: sink.stagingFormat,
      onProgress: options.onProgress,
      signal: options.signal,
    }
    throwIfStopped(options.signal)
    const runs = await runMode(choice.mode, runnable, ctx)
    throwIfDatabaseFailed(runs, sink)
    throwIfStoppedMidway(runs)
    await rewriteWhereDuplicateKeys(choice.mode, runnable, runs, ctx, sink)
    throwIfDatabaseFailed(runs, sink)
    throwIfStoppedMidway(runs)

    const sources = [...(await finishSources(jobs, runs, currentRun, busy, logger)), ...skipped]
    const changed = sources.reduce((sum, r) => sum + r.records.inserted + r.records.updated + r.records.deleted, 0)
    const read = sources.reduce((sum, r) => sum + r.records.read, 0)
    const maintenance = options.dryRun ? { action: 'none' as const, ms: 0 } : await runMaintenance(sink, options.vacuum ?? 'auto', { changed, read })
    if (maintenance.action !== 'none') logger.info({ action: maintenance.action, ms: Math.round(maintenance.ms) }, 'maintenance done')

    const clock = { started, dbInit, finalizeStarted: performance.now() }
    const report = buildReport({
      choice,
      workers,
      sources,
      busy,
      dryRun: options.dryRun ?? false,
      runId: currentRun,
      maintenance,
      chunkSizes: chunks.sizes,
      memory: memory.stop(),
      backup,
      clock,
    })
    await sink.finishRun(currentRun, runRecord(report))
    // The report's finalize and total include recording it.
    timePhases(report.phases, busy, clock)
    return report
  } catch (err) {
    if (runId !== undefined) await sink.failRun(runId, String((err as Error).message ?? err), isStopped(err) ? 'interrupted' : 'failed')
    if (isStopped(err)) logger.warn({ runId }, 'sync stopped on request: committed chunks kept, the next sync resumes after them')
    throw sink.translateError(err)
  } finally {
    memory.stop()
    await pool?.destroy()
    await sink.close()
  }
}

/**
 * A full disk, a read-only file or an I/O error is the database's failure, not a source's: the other
 * sources cannot fare better, so the run stops and is reported failed, naming the database.
 */
function throwIfDatabaseFailed(runs: readonly SourceRun[], sink: Sink): void {
  const failed = runs.find((run) => sink.isDatabaseFailure(run.error))
  if (failed !== undefined) throw failed.error
}

import { mkdirSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { contentHashOf, locateCacheFile } from '../cache/cache-files.js'
import type { ResolvedConfig, ResolvedSource } from '../config/resolve-config.js'
import type { BackupOptions } from '../sink/backup-files.js'
import { backupSink, sinkHasDatabase } from '../sink/backup-sink.js'
import { openSink } from '../sink/open-sink.js'
import type { Checkpoint, Sink } from '../sink/sink.js'
import { ConfigError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/logger.js'
import { createWorkerPool, type WorkerPool } from '../workers/pool.js'
import { chooseMode, type ModeChoice } from './choose-mode.js'
import { ChunkCommitter, type FilePosition, START } from './chunk-committer.js'
import { ChunkSizer } from './chunk-sizer.js'
import { finishSource } from './finish-source.js'
import { type MaintenanceMode, runMaintenance } from './maintenance.js'
import { DEFAULT_MEMORY_THRESHOLD_MB, MemoryGuard } from './memory-guard.js'
import { probeMemory } from './memory-probe.js'
import { runParallel } from './modes/parallel.js'
import { runSequential } from './modes/sequential.js'
import { runStreaming } from './modes/streaming.js'
import { mappingFingerprint } from './record-mapper.js'
import type { BusyTimes, ModeContext, ProgressEvent, SourceJob, SourceRun } from './source-job.js'
import { isStopped, throwIfStopped } from './stop-request.js'
import { addCounts, emptyCounts, type PhaseTimes, type SourceReport, type SyncReport } from './sync-report.js'

export interface SyncOptions {
  /** Report what a sync would do, on a scratch copy; the database is not touched. @default false */
  dryRun?: boolean
  /** Sync sources whose cache file has not changed since their last sync. @default false */
  force?: boolean
  logger?: Logger
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

/** Loads the cache files into the database: the `sync` stage. */
export async function runSync(config: ResolvedConfig, options: SyncOptions = {}): Promise<SyncReport> {
  const logger = options.logger ?? silentLogger
  const started = performance.now()
  const busy: BusyTimes = { read: 0, transform: 0, write: 0 }
  refuseUnmappedSources(config)
  const memoryThresholdMb = options.memoryThresholdMb ?? memoryThresholdFromEnv(options.env ?? process.env)
  const backupOptions = options.backupBefore && !options.dryRun ? (options.backupBefore === true ? {} : options.backupBefore) : undefined
  // Whether there is anything to back up is known only before the sink is opened (which creates it).
  const hasDatabase = backupOptions !== undefined && (await sinkHasDatabase(config.sink))
  const sink = await openSink(config.sink, { dryRun: options.dryRun ?? false, logger })
  let pool: WorkerPool | undefined
  let runId: number | undefined
  const memory = new MemoryGuard(memoryThresholdMb, logger).start()
  try {
    const backup = backupOptions === undefined ? undefined : await backupBefore(config, hasDatabase, backupOptions, logger)
    await sink.ensureSchema(config.sources)
    const interrupted = await sink.markInterruptedRuns()
    if (interrupted > 0) logger.warn({ runs: interrupted }, 'an earlier sync did not finish (killed?): its committed chunks are kept and resumed')
    const currentRun = await sink.startRun(new Date())
    runId = currentRun
    const dbInit = performance.now() - started

    const planStarted = performance.now()
    const policy = config.sink.kind === 'postgres' ? config.sink.lock : 'wait'
    const { jobs, skipped } = await planJobs(config, sink, { force: options.force ?? false, runId: currentRun, policy }, logger)
    busy.read += performance.now() - planStarted
    const choice = chooseMode({
      requested: config.mode,
      chunk: config.chunk,
      memory: probeMemory(options.env),
      cacheBytes: jobs.reduce((sum, job) => sum + ('job' in job ? job.job.file.bytes : 0), 0),
      largestFileBytes: Math.max(0, ...jobs.map((job) => ('job' in job ? job.job.file.bytes : 0))),
    })
    const chunks = new ChunkSizer(choice.chunk, { adaptive: options.adaptiveChunk ?? false })
    logger.info({ mode: choice.mode, chunk: options.adaptiveChunk ? `auto from ${chunks.size}` : choice.chunk, reason: choice.reason }, 'mode chosen')
    sink.tune({ lowMemory: choice.mode === 'streaming' })
    const runnable = jobs.flatMap((j) => ('job' in j ? [j.job] : []))
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
    const runs = await runMode(choice, runnable, ctx)
    throwIfDatabaseFailed(runs, sink)
    throwIfStoppedMidway(runs)
    await rewriteWhereDuplicateKeys(choice, runnable, runs, ctx, sink)
    throwIfDatabaseFailed(runs, sink)
    throwIfStoppedMidway(runs)
    const reports: SourceReport[] = []
    for (const planned of jobs) {
      if (!('job' in planned)) {
        reports.push(planned.report)
        continue
      }
      const at = runnable.indexOf(planned.job)
      reports.push(await finishSource(planned.job, runs[at] as SourceRun, currentRun, busy, logger))
    }
    reports.push(...skipped)
    const changed = reports.reduce((sum, r) => sum + r.records.inserted + r.records.updated + r.records.deleted, 0)
    const read = reports.reduce((sum, r) => sum + r.records.read, 0)
    const maintenance = options.dryRun ? { action: 'none' as const, ms: 0 } : await runMaintenance(sink, options.vacuum ?? 'auto', { changed, read })
    if (maintenance.action !== 'none') logger.info({ action: maintenance.action, ms: Math.round(maintenance.ms) }, 'maintenance done')
    const finalizeStarted = performance.now()
    const report = buildReport(choice, workers, reports, busy, { dbInit, total: 0, finalize: 0, started }, options.dryRun ?? false, currentRun)
    report.phases.maintenance = maintenance.ms
    report.chunkSizes = chunks.sizes
    report.memory = memory.stop()
    report.maintenance = maintenance.action
    report.backup = backup
    report.phases.finalize = performance.now() - finalizeStarted
    report.phases.total = performance.now() - started
    apportion(report.phases, busy)
    report.recordsPerSec = Math.round(report.records.read / Math.max(report.phases.total / 1000, 1e-3))
    await sink.finishRun(currentRun, {
      outcome: report.ok ? 'ok' : report.sources.some((s) => s.state !== 'failed') ? 'partial' : 'failed',
      mode: report.mode,
      reason: report.reason,
      chunk: report.chunk,
      workers: report.workers,
      records: report.records,
      phases: report.phases,
      recordsPerSec: report.recordsPerSec,
      peakRssMb: report.peakRssMb,
      error: report.sources.flatMap((s) => (s.state === 'failed' ? [`${s.name}: ${s.error}`] : [])).join('\n') || undefined,
      report: {
        sources: report.sources,
        busy: report.busy,
        maintenance: report.maintenance,
        backup: report.backup,
        chunkSizes: report.chunkSizes,
        memory: report.memory,
      },
    })
    report.phases.finalize = performance.now() - finalizeStarted
    report.phases.total = performance.now() - started
    apportion(report.phases, busy)
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

/** A source without columns can be warmed, but there is nothing to make a table of. */
function refuseUnmappedSources(config: ResolvedConfig): void {
  const unmapped = config.sources.filter((source) => source.columns.length === 0)
  if (unmapped.length === 0) return
  throw new ConfigError(
    'Invalid configuration for sync:',
    unmapped.map((s) => `source ${s.name}: columns: sync needs a column mapping, with at least the key ${s.key.join(', ')}`),
  )
}

type PlannedJob = { job: SourceJob } | { report: SourceReport }

async function planJobs(
  config: ResolvedConfig,
  sink: Sink,
  { force, runId, policy }: { force: boolean; runId: number; policy: 'wait' | 'skip' },
  logger: Logger,
): Promise<{ jobs: PlannedJob[]; skipped: SourceReport[] }> {
  const jobs: PlannedJob[] = []
  const skipped: SourceReport[] = []
  for (const source of config.sources) {
    try {
      const file = await locateCacheFile(config.cacheDir, source)
      const contentHash = await contentHashOf(file)
      const fingerprint = mappingFingerprint(source)
      const lock = await sink.lockSource(source.name, policy)
      if (!lock.acquired) {
        logger.warn({ source: source.name, holder: lock.holder }, 'source is being synced by another host: skipped (--pg-lock skip)')
        skipped.push({ ...emptySourceReport(source, file.path), state: 'skipped', holder: lock.holder })
        continue
      }
      const state = await sink.sourceState(source.name)
      const resumable = file.format === 'ndjson' && !file.gzip
      const resumeFrom = resumePoint(await sink.checkpoint(source.name), { contentHash, fingerprint, bytes: file.bytes, resumable })
      if (!force && state?.contentHash === contentHash && state.fingerprint === fingerprint && resumeFrom === START) {
        logger.info({ source: source.name }, 'cache unchanged since the last sync: skipped')
        skipped.push({ ...emptySourceReport(source, file.path), state: 'unchanged' })
        continue
      }
      if (resumeFrom !== START)
        logger.info({ source: source.name, records: resumeFrom.records, byteOffset: resumeFrom.byteOffset }, 'resuming after the committed part')
      // Rows written under another mapping cannot be trusted by their hash: rewrite them all once.
      const rewrite = state !== undefined && state.fingerprint !== fingerprint
      const writer = sink.createSourceSink(source, { rewrite })
      const hadLiveRows = await writer.hasLiveRows()
      if (hadLiveRows) writer.trackDisplaced()
      jobs.push({
        job: {
          source,
          file,
          contentHash,
          mapping: { columns: source.columns, recordsPath: source.recordsPath, fingerprint },
          writer,
          hadLiveRows,
          rewrite,
          maxRejects: source.maxRejects ?? config.maxRejects,
          resumable,
          resumeFrom,
          commits: new ChunkCommitter({
            identity: resumable ? { contentHash, fingerprint } : undefined,
            runId,
            resumed: resumeFrom !== START,
          }),
        },
      })
    } catch (err) {
      jobs.push({ report: failedReport(source, sink.translateError(err)) })
    }
  }
  return { jobs, skipped }
}

/**
 * A key that appears twice in one file can defeat the unchanged-record shortcut: an earlier record of
 * the key rewrites the row, then a later one, whose bytes are the row's old ones, is skipped as unchanged.
 * That shows as a displaced hash that some record matched; such a source is applied again, every record
 * parsed and written in file order, so that the last record of each key wins as in a plain upsert.
 */
async function rewriteWhereDuplicateKeys(choice: ModeChoice, jobs: SourceJob[], runs: SourceRun[], ctx: ModeContext, sink: Sink): Promise<void> {
  for (const [i, job] of jobs.entries()) {
    const run = runs[i] as SourceRun
    if (run.error !== undefined || run.deletion.kind !== 'unseen') continue
    const known = run.deletion.known
    if (!job.writer.displacedHashes().some((hash) => known.isSeen(hash))) continue
    ctx.logger.warn({ source: job.source.name }, 'duplicate keys in the cache file: applying it again in file order')
    const again: SourceJob = {
      ...job,
      rewrite: true,
      writer: sink.createSourceSink(job.source, { rewrite: true }),
      resumeFrom: START,
      commits: new ChunkCommitter({ identity: undefined, runId: undefined, resumed: true, recordRejects: false }),
    }
    const [redo] = await runMode(choice, [again], ctx)
    if (redo === undefined) continue
    // The counts stay those of the first pass (what changed); deletions are decided by the second.
    // Which row of a twice-met key the table holds is known only to the table now: the next sync reads it.
    runs[i] = { ...run, error: redo.error, complete: redo.complete, deletion: redo.deletion, writtenRows: undefined }
  }
}

/**
 * Where a source's sync starts: after the committed part of an earlier run, when its checkpoint is for
 * this very file (content hash) under this very mapping; otherwise at the start, with the stale
 * checkpoint to be replaced by this run's first commit.
 */
function resumePoint(saved: Checkpoint | undefined, file: { contentHash: string; fingerprint: string; bytes: number; resumable: boolean }): FilePosition {
  if (saved === undefined || !file.resumable) return START
  if (saved.contentHash !== file.contentHash || saved.fingerprint !== file.fingerprint || saved.byteOffset > file.bytes) return START
  return { byteOffset: saved.byteOffset, records: saved.records, lines: saved.lines }
}

/** Runs the jobs in the chosen mode; a failed source's error is worded by the sink (a missing privilege names its GRANT). */
async function runMode(choice: ModeChoice, jobs: SourceJob[], ctx: ModeContext): Promise<SourceRun[]> {
  if (jobs.length === 0) return []
  const run = { parallel: runParallel, sequential: runSequential, streaming: runStreaming }[choice.mode]
  const runs = await run(jobs, ctx)
  for (const run of runs) if (run.error !== undefined) run.error = ctx.sink.translateError(run.error)
  return runs
}

function emptySourceReport(source: ResolvedSource, file: string): Omit<SourceReport, 'state'> {
  return { name: source.name, table: source.table, file, resumedRecords: 0, records: emptyCounts(), ms: 0 }
}

export function failedReport(source: ResolvedSource, err: unknown, file?: string): SourceReport {
  const code = (err as { code?: unknown }).code
  return {
    name: source.name,
    table: source.table,
    file,
    resumedRecords: 0,
    records: emptyCounts(),
    ms: 0,
    state: 'failed',
    error: err instanceof Error ? err.message : String(err),
    code: typeof code === 'string' ? code : 'ERR_INTERNAL',
  }
}

function buildReport(
  choice: ModeChoice,
  workers: number,
  sources: SourceReport[],
  busy: BusyTimes,
  times: { dbInit: number; total: number; finalize: number; started: number },
  dryRun: boolean,
  runId: number,
): SyncReport {
  const records = emptyCounts()
  for (const source of sources) addCounts(records, source.records)
  const phases: PhaseTimes = { dbInit: times.dbInit, read: 0, transform: 0, write: 0, maintenance: 0, finalize: 0, total: performance.now() - times.started }
  return {
    ok: sources.every((s) => s.state !== 'failed'),
    mode: choice.mode,
    reason: choice.reason,
    chunk: choice.chunk,
    workers,
    dryRun,
    records,
    phases,
    busy: { ...busy },
    overlap:
      choice.mode === 'parallel'
        ? `read, transform and write overlapped on ${workers} workers and the writer thread; their wall time is shared out in proportion to busy time`
        : undefined,
    recordsPerSec: 0,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    runId: dryRun ? undefined : runId,
    maintenance: 'none',
    backup: undefined,
    chunkSizes: [choice.chunk],
    memory: { thresholdMb: 0, peakRssMb: 0, peakHeapMb: 0, backOffs: [] },
    sources,
  }
}

/** Shares the wall time between db init and maintenance among read, transform and write by busy time. */
function apportion(phases: PhaseTimes, busy: BusyTimes): void {
  const middle = Math.max(0, phases.total - phases.dbInit - phases.maintenance - phases.finalize)
  const sum = busy.read + busy.transform + busy.write
  phases.read = sum === 0 ? 0 : (middle * busy.read) / sum
  phases.transform = sum === 0 ? 0 : (middle * busy.transform) / sum
  phases.write = sum === 0 ? middle : (middle * busy.write) / sum
}

/**
 * A full disk, a read-only file or an I/O error is the database's failure, not a source's: the other
 * sources cannot fare better, so the run stops and is reported failed, naming the database.
 */
function throwIfDatabaseFailed(runs: readonly SourceRun[], sink: Sink): void {
  const failed = runs.find((run) => sink.isDatabaseFailure(run.error))
  if (failed !== undefined) throw failed.error
}

function memoryThresholdFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.CACHESYNC_MEMORY_THRESHOLD_MB
  if (raw === undefined || raw === '') return DEFAULT_MEMORY_THRESHOLD_MB
  const mb = Number(raw)
  if (!Number.isFinite(mb) || mb <= 0) throw new ConfigError(`CACHESYNC_MEMORY_THRESHOLD_MB must be a positive number of megabytes, got ${JSON.stringify(raw)}`)
  return mb
}

/** The backup before a sync writes; a database that does not exist yet has nothing to back up. */
async function backupBefore(
  config: ResolvedConfig,
  hasDatabase: boolean,
  options: BackupOptions,
  logger: Logger,
): Promise<{ path: string; ms: number } | undefined> {
  if (!hasDatabase) {
    logger.info({}, 'no database yet: nothing to back up')
    return undefined
  }
  const done = await backupSink(config, options)
  logger.info({ path: done.path, ms: Math.round(done.ms), pruned: done.pruned.length }, 'backup taken')
  return { path: done.path, ms: done.ms }
}

/** A source the mode left because a stop was requested: the run ends there, recorded as interrupted. */
function throwIfStoppedMidway(runs: readonly SourceRun[]): void {
  const stopped = runs.find((run) => isStopped(run.error))
  if (stopped !== undefined) throw stopped.error
}

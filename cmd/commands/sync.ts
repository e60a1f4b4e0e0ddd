import type { CommandModule } from 'yargs'
import { MAINTENANCE_MODES, type MaintenanceMode } from '../../src/engine/maintenance.js'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { failedSyncMetrics, readDatabaseBytes, syncMetrics } from '../../src/metrics/sync-metrics.js'
import { ConfigError } from '../../src/util/errors.js'
import { formatSyncReport } from '../format-report.js'
import { METRICS_FILE_DESCRIBE, metricsPath, writeMetrics } from '../metrics-option.js'
import { createProgress } from '../progress.js'
import { cliLogger, loadConfig, withConfigOptions } from '../shared-options.js'
import { listenForStop } from '../stop-signals.js'
import { checkWatchArgs, watchCommand } from './sync-watch.js'

interface SyncArgs {
  config?: string
  db?: string
  cacheDir?: string
  json: boolean
  logLevel?: string
  mode?: 'auto' | 'parallel' | 'sequential' | 'streaming'
  chunk?: string
  memoryThresholdMb?: number
  workers?: number
  maxRejects?: number
  dryRun: boolean
  force: boolean
  progress: boolean
  vacuum: MaintenanceMode
  backupBefore: boolean
  metricsFile?: string
  sink?: string
  schema?: string
  pgLock?: 'wait' | 'skip'
  watch: boolean
  interval?: string
  maxAge?: string
  warm: boolean
}

export function syncCommand(setExit: (code: number) => void): CommandModule<object, SyncArgs> {
  return {
    command: 'sync',
    describe: 'load the cache files into the database',
    builder: (y) =>
      withConfigOptions(y)
        .option('sink', {
          type: 'string',
          describe: 'where rows go: sqlite://FILE or postgres://user@host:port/db; env CACHESYNC_SINK [default: sqlite://./data/cachesync.db]',
        })
        .option('schema', { type: 'string', describe: 'PostgreSQL schema of the tables; env CACHESYNC_SCHEMA [default: public]' })
        .option('pg-lock', {
          choices: ['wait', 'skip'] as const,
          describe: 'a source another host is syncing (PostgreSQL): wait for it or skip it; env CACHESYNC_PG_LOCK [default: wait]',
        })
        .option('mode', { choices: ['auto', 'parallel', 'sequential', 'streaming'] as const, describe: 'how to load; env CACHESYNC_MODE [default: auto]' })
        .option('chunk', {
          type: 'string',
          describe: 'records per transaction / streamed chunk, or auto (sized to ~250 ms each); env CACHESYNC_CHUNK [default: chosen by mode]',
        })
        .option('memory-threshold-mb', { type: 'number', describe: 'RSS past which the sync backs off; env CACHESYNC_MEMORY_THRESHOLD_MB [default: 500]' })
        .option('workers', { type: 'number', describe: 'worker threads in parallel mode; env CACHESYNC_WORKERS [default: cores]' })
        .option('max-rejects', { type: 'number', describe: 'fail a source past this many rejected records; env CACHESYNC_MAX_REJECTS' })
        .option('dry-run', { type: 'boolean', default: false, describe: 'report what would change; write nothing' })
        .option('force', { type: 'boolean', default: false, describe: 'sync sources whose cache file did not change' })
        .option('vacuum', {
          choices: MAINTENANCE_MODES,
          default: 'auto' as const,
          describe: 'after the run: ANALYZE, VACUUM (full) or nothing; auto analyzes when many rows changed',
        })
        .option('backup-before', { type: 'boolean', default: false, describe: 'take a verified backup (see `cachesync backup`) before writing' })
        .option('metrics-file', { type: 'string', describe: METRICS_FILE_DESCRIBE })
        .option('progress', { type: 'boolean', default: true, describe: 'show progress (a bar on a terminal, log lines otherwise)' })
        .option('watch', { type: 'boolean', default: false, describe: 'warm and sync every --interval until SIGTERM or SIGINT (then exit 0)' })
        .option('interval', { type: 'string', describe: 'with --watch: from one cycle start to the next (30s, 2m, 1h) [default: 2m]' })
        .option('max-age', { type: 'string', describe: "with --watch: the warm's --max-age (90s, 30m, 1h) [default: the configuration's]" })
        .option('warm', { type: 'boolean', default: true, describe: 'with --watch: warm before each sync (--no-warm: sync only)' }) as never,
    handler: async (args) => {
      const watch = checkWatchArgs(args)
      // CACHESYNC_CHUNK=auto is read here; a number (or a mistake) there is the configuration's to check.
      const chunk = parseChunk(args.chunk ?? (process.env.CACHESYNC_CHUNK === 'auto' ? 'auto' : undefined))
      const metricsFile = metricsPath(args.metricsFile)
      const config = loadConfig(
        args,
        { mode: args.mode, chunk: chunk.size, workers: args.workers, maxRejects: args.maxRejects, sink: args.sink, schema: args.schema, pgLock: args.pgLock },
        { ignoreEnv: chunk.adaptive ? ['CACHESYNC_CHUNK'] : [] },
      )
      const logger = cliLogger(args)
      const options = {
        dryRun: args.dryRun,
        force: args.force,
        vacuum: args.vacuum,
        backupBefore: args.backupBefore,
        adaptiveChunk: chunk.adaptive,
        ...(args.memoryThresholdMb === undefined ? {} : { memoryThresholdMb: args.memoryThresholdMb }),
      }
      if (args.watch) {
        // The runs inside log warnings and errors only, unless asked: the watch logs one line a cycle.
        const runs = cliLogger({ ...args, logLevel: args.logLevel ?? process.env.CACHESYNC_LOG_LEVEL ?? 'warn' })
        setExit(await watchCommand(config, args, { ...watch, metricsFile }, { cycles: logger, runs }, options))
        return
      }
      const progress = await createProgress(logger, args.progress)
      const stop = listenForStop(logger)
      let report: SyncReport
      try {
        report = await runSync(config, { ...options, logger, onProgress: progress.onProgress, signal: stop.signal })
      } catch (err) {
        // A requested stop is not a failure: the committed chunks are kept and the next sync resumes.
        if ((err as { code?: unknown }).code === 'ERR_ABORTED') {
          process.stderr.write(`cachesync: ${(err as Error).message}\n`)
          setExit(0)
          return
        }
        if (metricsFile !== undefined) await writeMetrics(metricsFile, failedSyncMetrics(new Date()))
        throw err
      } finally {
        progress.stop()
        stop.dispose()
      }
      process.stdout.write(args.json ? `${JSON.stringify(toJson(report))}\n` : `${formatSyncReport(report)}\n`)
      const metricsWritten =
        metricsFile === undefined ||
        (await writeMetrics(metricsFile, syncMetrics(report, new Date(), report.dryRun ? undefined : await readDatabaseBytes(config.sink))))
      setExit(report.ok && metricsWritten ? 0 : 1)
    },
  }
}

/** The `--json` contract: scripts and monitors read these names. */
export function toJson(report: SyncReport): object {
  return {
    ok: report.ok,
    mode: report.mode,
    reason: report.reason,
    chunk: report.chunk,
    workers: report.workers,
    dryRun: report.dryRun,
    records: report.records,
    phases: roundAll(report.phases),
    busy: roundAll(report.busy),
    overlap: report.overlap ?? null,
    recordsPerSec: report.recordsPerSec,
    peakRssMb: report.peakRssMb,
    runId: report.runId ?? null,
    maintenance: report.maintenance,
    chunkSizes: report.chunkSizes,
    memory: report.memory,
    backup: report.backup === undefined ? null : { path: report.backup.path, ms: Math.round(report.backup.ms) },
    sources: report.sources.map((s) => ({
      name: s.name,
      table: s.table,
      file: s.file ?? null,
      state: s.state,
      resumedRecords: s.resumedRecords,
      records: s.records,
      ...(s.state === 'failed' ? { error: s.error, code: s.code } : {}),
      ...(s.state === 'skipped' ? { holder: s.holder } : {}),
    })),
  }
}

/** `--chunk N` or `--chunk auto`; anything else is a usage error. */
function parseChunk(raw: string | undefined): { size: number | undefined; adaptive: boolean } {
  if (raw === undefined || raw === '') return { size: undefined, adaptive: false }
  if (raw === 'auto') return { size: undefined, adaptive: true }
  const size = Number(raw)
  if (!Number.isInteger(size) || size <= 0) throw new ConfigError(`--chunk must be a positive integer or auto, got ${JSON.stringify(raw)}`)
  return { size, adaptive: false }
}

function roundAll<T extends object>(values: T): T {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, Math.round((v as number) * 10) / 10])) as T
}

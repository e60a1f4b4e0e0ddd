import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import type { ResolvedConfig } from '../config/resolve-config.js'
import { type ArchiveStore, type ArchiveTarget, archiveColumns, type SelectedRows } from '../sink/archive-store.js'
import { openArchiveStore } from '../sink/open-archive-store.js'
import { CachesyncError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/logger.js'
import type { PackResult } from '../workers/archive-task.js'
import { type ArchivePool, createArchivePool } from '../workers/pool.js'
import { type ArchiveManifest, archiveFileName, removeArchiveFile } from './archive-files.js'
import { type ArchiveOptions, type ResolvedArchiveOptions, resolveArchiveOptions } from './archive-options.js'
import { describeFilter, planArchive } from './archive-plan.js'
import { BatchSizer } from './batch-sizer.js'
import { keysDigest } from './json-lines.js'

/** The phases of an archive run, each the milliseconds spent in it (compress, write, verify on the workers). */
export interface ArchivePhases {
  query: number
  serialise: number
  compress: number
  write: number
  verify: number
  delete: number
  vacuum: number
}

export const ARCHIVE_PHASES: readonly (keyof ArchivePhases)[] = ['query', 'serialise', 'compress', 'write', 'verify', 'delete', 'vacuum']

/** What one table gave up. */
export interface ArchivedTable {
  table: string
  source: string | undefined
  filter: string
  rows: number
  files: number
  /** Compressed bytes, and the JSON lines' bytes before compression. */
  bytes: number
  rawBytes: number
  /** The batch sizes used, in order, without repeats in a row. */
  batchSizes: number[]
}

/** What an archive run did, or in a dry run would do. */
export interface ArchiveReport {
  ok: true
  dryRun: boolean
  /** The `sync_archive_runs` row of this run; undefined in a dry run. */
  runId: number | undefined
  target: string
  dir: string
  tables: ArchivedTable[]
  rows: number
  files: number
  bytes: number
  rawBytes: number
  /** Files that killed runs left half done, removed before this run began. */
  cleaned: string[]
  vacuum: 'analyze' | 'full' | 'none'
  phases: ArchivePhases
  /** Wall time of the whole run; the phases overlap, as workers compress while a batch is queried. */
  totalMs: number
  rowsPerSec: number
  peakRssMb: number
}

/** The default archive directory: `archive/` beside the SQLite file, or beside the cache directory (PostgreSQL). */
export function defaultArchiveDir(config: ResolvedConfig): string {
  return config.sink.kind === 'sqlite' ? join(dirname(config.sink.path), 'archive') : join(dirname(resolve(config.cacheDir)), 'archive')
}

/**
 * Moves old rows out of their tables into compressed JSON-lines files, batch by batch: query,
 * serialise, compress, write (synced), verify (read back: rows and keys), then delete in the one
 * transaction that records the file as archived. A kill at any moment leaves each row in its table or
 * in one verified file that `sync_archives` names; the files of a killed run's unfinished batch are
 * removed by the next run.
 */
export async function runArchive(config: ResolvedConfig, input: ArchiveOptions = {}): Promise<ArchiveReport> {
  const options = resolveArchiveOptions(input)
  const logger = input.logger ?? silentLogger
  const started = performance.now()
  const dir = resolve(options.toDir ?? defaultArchiveDir(config))
  if (!options.dryRun) checkWritable(dir)
  const store = await openArchiveStore(config.sink)
  let runId: number | undefined
  let pool: ArchivePool | undefined
  try {
    // Checked before anything is created: a mistake in the options leaves the database as it was.
    const targets = await planArchive(store, config.sources, options)
    if (!options.dryRun) await store.prepare()
    await store.lockSources([...new Set(targets.flatMap((t) => (t.source === undefined ? [] : [t.source])))])
    const cleaned = options.dryRun ? [] : await removeUnfinished(store, logger)
    const startedAt = new Date()
    if (!options.dryRun) runId = await store.startRun(startedAt, 'archive')
    pool = await createArchivePool({ threads: options.threads })
    const run = new ArchiveRun(store, pool, options, { dir, runId: runId ?? 0, startedAt, target: store.target }, logger, input.onBatch)
    const tables: ArchivedTable[] = []
    for (const target of targets) tables.push(await run.archiveTable(target))
    const archivedFrom = [...new Set(tables.filter((t) => t.rows > 0).map((t) => t.table))]
    if (!options.dryRun && archivedFrom.length > 0 && options.vacuum !== 'none') {
      const at = performance.now()
      await store.vacuum(archivedFrom, options.vacuum)
      run.phases.vacuum = performance.now() - at
    }
    const totalMs = performance.now() - started
    const rows = sum(tables, 'rows')
    const report: ArchiveReport = {
      ok: true,
      dryRun: options.dryRun,
      runId,
      target: store.target,
      dir,
      tables,
      rows,
      files: sum(tables, 'files'),
      bytes: sum(tables, 'bytes'),
      rawBytes: sum(tables, 'rawBytes'),
      cleaned,
      vacuum: options.dryRun ? 'none' : options.vacuum,
      phases: run.phases,
      totalMs,
      rowsPerSec: totalMs > 0 ? Math.round((rows * 1000) / totalMs) : 0,
      peakRssMb: run.peakRssMb(),
    }
    if (runId !== undefined) {
      await store.finishRun(runId, {
        outcome: 'ok',
        rows,
        files: report.files,
        bytes: report.bytes,
        phases: { ...report.phases, total: totalMs },
        error: undefined,
        report,
      })
    }
    return report
  } catch (err) {
    if (runId !== undefined) {
      const message = (err as Error).message
      await store
        .finishRun(runId, { outcome: 'failed', rows: 0, files: 0, bytes: 0, phases: {}, error: message, report: null })
        .catch(() => logger.warn({ err }, 'could not record the failed archive run'))
    }
    throw err
  } finally {
    await pool?.destroy()
    await store.close()
  }
}

/** Removes the files of batches that a killed run named but never committed, and forgets them. */
async function removeUnfinished(store: ArchiveStore, logger: Logger): Promise<string[]> {
  const removed: string[] = []
  for (const pending of await store.pendingArchives()) {
    const path = join(pending.dir, pending.file)
    removeArchiveFile(path)
    await store.dropPending(pending.id)
    removed.push(path)
    logger.info({ file: path }, 'removed the unfinished archive file of a killed run')
  }
  return removed
}

/** Creates the directory and writes a probe file in it: an unwritable destination fails before any row is touched. */
function checkWritable(dir: string): void {
  const probe = join(dir, `.cachesync-probe-${process.pid}`)
  try {
    mkdirSync(dir, { recursive: true })
    writeFileSync(probe, '')
    rmSync(probe)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOSPC') throw new CachesyncError('ERR_DISK_FULL', `Archive directory ${dir}: the disk is full`, { cause: err })
    throw new CachesyncError('ERR_READONLY', `Archive directory ${dir} is not writable: ${(err as Error).message}`, { cause: err })
  }
}

function sum<K extends 'rows' | 'files' | 'bytes' | 'rawBytes'>(tables: readonly ArchivedTable[], key: K): number {
  return tables.reduce((total, t) => total + t[key], 0)
}

/** A batch handed to a worker, not yet deleted from its table. */
interface InFlight {
  readonly target: ArchiveTarget
  readonly path: string
  readonly archiveId: number | undefined
  readonly rows: number
  readonly first: unknown[]
  readonly last: unknown[]
  readonly packed: Promise<Extract<PackResult, { ok: true }>>
  /** Coordinator time spent on it so far (query, serialise). */
  readonly mainMs: number
}

interface RunContext {
  readonly dir: string
  readonly runId: number
  readonly startedAt: Date
  readonly target: string
}

/** One run's batches: while a worker packs one batch, the coordinator queries and serialises the next. */
class ArchiveRun {
  readonly phases: ArchivePhases = { query: 0, serialise: 0, compress: 0, write: 0, verify: 0, delete: 0, vacuum: 0 }
  readonly #store: ArchiveStore
  readonly #pool: ArchivePool
  readonly #options: ResolvedArchiveOptions
  readonly #context: RunContext
  readonly #logger: Logger
  readonly #onBatch: ArchiveOptions['onBatch']
  #batches = 0
  #peakRss = process.memoryUsage.rss()

  constructor(
    store: ArchiveStore,
    pool: ArchivePool,
    options: ResolvedArchiveOptions,
    context: RunContext,
    logger: Logger,
    onBatch: ArchiveOptions['onBatch'],
  ) {
    this.#store = store
    this.#pool = pool
    this.#options = options
    this.#context = context
    this.#logger = logger
    this.#onBatch = onBatch
  }

  peakRssMb(): number {
    return Math.round((Math.max(this.#peakRss, process.memoryUsage.rss()) / 1048576) * 10) / 10
  }

  async archiveTable(target: ArchiveTarget): Promise<ArchivedTable> {
    const sizer = new BatchSizer(this.#options.batch)
    const result: ArchivedTable = {
      table: target.table,
      source: target.source,
      filter: describeFilter(target.filter),
      rows: 0,
      files: 0,
      bytes: 0,
      rawBytes: 0,
      batchSizes: sizer.sizes,
    }
    let after: unknown[] | undefined
    let inFlight: InFlight | undefined
    try {
      for (;;) {
        let at = performance.now()
        const rows = await this.#store.selectBatch(target, after, sizer.size)
        const queryMs = performance.now() - at
        this.phases.query += queryMs
        if (inFlight !== undefined) {
          const done = inFlight
          inFlight = undefined
          await this.#finish(done, result, sizer)
        }
        const count = rows.rows
        if (count === 0) break
        after = [...rows.last]
        // The database wrote the JSON lines in the query: what is left is the digest of the keys.
        at = performance.now()
        const keysSha256 = keysDigest(rows)
        const serialiseMs = performance.now() - at
        this.phases.serialise += serialiseMs
        result.rawBytes += rows.lines.length
        this.#peakRss = Math.max(this.#peakRss, process.memoryUsage.rss())
        inFlight = await this.#start(target, rows, keysSha256, queryMs + serialiseMs)
      }
    } catch (err) {
      if (inFlight !== undefined) await this.#abandon(inFlight)
      throw err
    }
    return result
  }

  /** Names the file in `sync_archives` (pending) before it exists, then hands the batch to a worker. */
  async #start(target: ArchiveTarget, selected: SelectedRows, keysSha256: string, mainMs: number): Promise<InFlight> {
    const { rows } = selected
    const first = [...selected.first]
    const last = [...selected.last]
    const { dir, runId, startedAt } = this.#context
    const file = archiveFileName(target.table, startedAt, runId, ++this.#batches)
    const path = join(dir, file)
    let archiveId: number | undefined
    if (!this.#options.dryRun) {
      const at = performance.now()
      archiveId = await this.#store.addPending({
        file,
        dir,
        table: target.table,
        rows,
        bytes: 0,
        sha256: '',
        firstKey: JSON.stringify(first),
        lastKey: JSON.stringify(last),
        runId,
      })
      this.phases.write += performance.now() - at
    }
    const manifest: Omit<ArchiveManifest, 'bytes' | 'sha256'> = {
      format: 'cachesync-archive/1',
      file,
      table: target.table,
      source: target.source ?? null,
      rows,
      key: target.shape.key,
      firstKey: first,
      lastKey: last,
      columns: archiveColumns(target.shape),
      filter: describeFilter(target.filter),
      database: this.#context.target,
      runId,
      createdAt: new Date().toISOString(),
    }
    const packed = this.#pool.pack({
      lines: selected.lines,
      rows,
      level: this.#options.level,
      keyColumns: target.shape.key,
      keysSha256,
      path: this.#options.dryRun ? undefined : path,
      manifest: this.#options.dryRun ? undefined : manifest,
    })
    // Awaited in #finish; until then a failure must not count as unhandled.
    packed.catch(() => {})
    return { target, path, archiveId, rows, first, last, packed, mainMs }
  }

  /** Waits for the worker's verified file, then deletes the batch's rows in the transaction that records it. */
  async #finish(batch: InFlight, result: ArchivedTable, sizer: BatchSizer): Promise<void> {
    let packed: Extract<PackResult, { ok: true }>
    try {
      packed = await batch.packed
    } catch (err) {
      await this.#forget(batch)
      throw err
    }
    this.phases.compress += packed.ms.compress
    this.phases.write += packed.ms.write
    this.phases.verify += packed.ms.verify
    let deleteMs = 0
    if (batch.archiveId !== undefined) {
      const at = performance.now()
      try {
        await this.#store.commitBatch(batch.target, batch.archiveId, {
          first: batch.first,
          last: batch.last,
          rows: batch.rows,
          bytes: packed.bytes,
          sha256: packed.sha256,
        })
      } catch (err) {
        await this.#forget(batch)
        throw err
      }
      deleteMs = performance.now() - at
      this.phases.delete += deleteMs
      result.files++
    }
    result.rows += batch.rows
    result.bytes += packed.bytes
    sizer.record(batch.rows, batch.mainMs + packed.ms.compress + packed.ms.write + packed.ms.verify + deleteMs)
    this.#logger.debug({ table: batch.target.table, rows: batch.rows, bytes: packed.bytes, next: sizer.size }, 'batch archived')
    this.#onBatch?.({ table: batch.target.table, rows: batch.rows, totalRows: result.rows })
  }

  /** A batch that will not be committed: its file goes, and so does its pending record. */
  async #abandon(batch: InFlight): Promise<void> {
    await batch.packed.catch(() => undefined)
    await this.#forget(batch)
  }

  async #forget(batch: InFlight): Promise<void> {
    if (batch.archiveId === undefined) return
    removeArchiveFile(batch.path)
    await this.#store.dropPending(batch.archiveId).catch((err: unknown) => this.#logger.warn({ err }, 'could not forget a pending archive'))
  }
}

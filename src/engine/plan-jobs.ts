import { type CacheFile, contentHashOf, locateCacheFile } from '../cache/cache-files.js'
import { deltasOnto } from '../cache/delta-files.js'
import { type LineIndex, openLineIndex } from '../cache/line-index-reader.js'
import type { ResolvedConfig, ResolvedSource } from '../config/resolve-config.js'
import type { Checkpoint, Sink } from '../sink/sink.js'
import type { Logger } from '../util/logger.js'
import { ChunkCommitter, type FilePosition, START } from './chunk-committer.js'
import { deltaInput } from './delta-input.js'
import { mappingFingerprint, mappingSpecOf } from './record-mapper.js'
import type { OpenSourceResolution } from './resolve-open-sources.js'
import { SchemaTracker } from './schema-tracker.js'
import type { SourceJob } from './source-job.js'
import { emptyCounts, type SourceReport } from './sync-report.js'

/** A source to sync, or the report of one that cannot be (its cache file missing or unreadable). */
export type PlannedJob = { job: SourceJob } | { report: SourceReport }

export interface PlanOptions {
  /** Sync a source even when its cache file has not changed since its last sync. */
  force: boolean
  runId: number
  /** A source another host is syncing: wait for its lock, or skip it. */
  policy: 'wait' | 'skip'
  /** Where a source's full file and deltas are put end to end when it reads several. */
  workDir: string
}

/**
 * Decides, source by source in configuration order, what this run does: finds the cache file, takes
 * the source's lock, skips a file unchanged since the last sync, and sets where the sync resumes.
 * `skipped` are sources left alone (unchanged, or locked by another host).
 */
export async function planJobs(
  config: ResolvedConfig,
  resolved: readonly OpenSourceResolution[],
  sink: Sink,
  { force, runId, policy, workDir }: PlanOptions,
  logger: Logger,
): Promise<{ jobs: PlannedJob[]; skipped: SourceReport[] }> {
  const jobs: PlannedJob[] = []
  const skipped: SourceReport[] = []
  for (const resolution of resolved) {
    const source = resolution.source
    try {
      if ('error' in resolution) throw resolution.error
      const full = await locateCacheFile(config.cacheDir, source)
      const fullHash = await contentHashOf(full)
      const fingerprint = mappingFingerprint(source)
      const deltas = await deltasOnto(config.cacheDir, source.name, { sha256: fullHash, fetchedAt: full.meta?.fetchedAt })
      const lock = await sink.lockSource(source.name, policy)
      if (!lock.acquired) {
        logger.warn({ source: source.name, holder: lock.holder }, 'source is being synced by another host: skipped (--pg-lock skip)')
        skipped.push({ ...emptySourceReport(source, full.path), state: 'skipped', holder: lock.holder })
        continue
      }
      const state = await sink.sourceState(source.name)
      // Incremental: the deltas the table lacks, or the full file with every delta after it; none left is unchanged.
      const input = deltas.length === 0 ? undefined : await deltaInput(source.name, full, fullHash, deltas, state, { fingerprint, force, workDir })
      if (deltas.length > 0 && input === undefined) {
        logger.info({ source: source.name, deltas: deltas.length }, 'cache and its deltas unchanged since the last sync: skipped')
        skipped.push({ ...emptySourceReport(source, full.path), state: 'unchanged' })
        continue
      }
      if (input !== undefined) logger.info({ source: source.name, deltas: input.deltas, upsertOnly: input.upsertOnly }, 'applying deltas')
      const file = input?.file ?? full
      const contentHash = input?.contentHash ?? fullHash
      const upsertOnly = input?.upsertOnly === true
      const resumable = file.format === 'ndjson' && !file.gzip
      const resumeFrom = resumePoint(await sink.checkpoint(source.name), { contentHash, fingerprint, bytes: file.bytes, resumable })
      if (!force && state?.contentHash === contentHash && state.fingerprint === fingerprint && resumeFrom === START) {
        logger.info({ source: source.name }, 'cache unchanged since the last sync: skipped')
        skipped.push({ ...emptySourceReport(source, file.path), state: 'unchanged' })
        continue
      }
      if (resumeFrom !== START)
        logger.info({ source: source.name, records: resumeFrom.records, byteOffset: resumeFrom.byteOffset }, 'resuming after the committed part')
      // Rows written under another mapping cannot be trusted by their hash: map every record once.
      const rewrite = state !== undefined && state.fingerprint !== fingerprint
      const sourceSink = sink.createSourceSink(source, { rewrite })
      // Deltas delete nothing: without the live rows' snapshot every record is upserted, and nothing is unseen.
      const hadLiveRows = !upsertOnly && (await sourceSink.hasLiveRows())
      if (hadLiveRows) sourceSink.trackDisplaced()
      jobs.push({
        job: {
          source,
          file,
          lineIndex: hadLiveRows && !rewrite ? usableLineIndex(file, source.name, logger) : undefined,
          contentHash,
          syncedHash: input?.syncedHash ?? contentHash,
          upsertOnly,
          cacheFile: full.path,
          mapping: { ...mappingSpecOf(source), fingerprint },
          sourceSink,
          hadLiveRows,
          rewrite,
          maxRejects: source.maxRejects ?? config.maxRejects,
          resumable,
          resumeFrom,
          schema: source.open === undefined ? undefined : new SchemaTracker(source),
          commits: new ChunkCommitter({
            identity: resumable ? { contentHash, fingerprint } : undefined,
            runId,
            // Deltas add to what the full file's sync found: its rejects stay.
            resumed: resumeFrom !== START || upsertOnly,
          }),
        },
      })
    } catch (err) {
      // The database gone is not this source's failure: no other source can fare better.
      if (sink.isDatabaseFailure(err)) throw err
      jobs.push({ report: failedReport(source, err) })
    }
  }
  return { jobs, skipped }
}

/** The cache file's line index when it matches the file; one that does not is ignored, and said so. */
function usableLineIndex(file: CacheFile, source: string, logger: Logger): LineIndex | undefined {
  const found = openLineIndex(file)
  if (found === undefined) return undefined
  if ('ignored' in found) {
    logger.info({ source, reason: found.ignored }, 'line index ignored: every line of the cache file is read')
    return undefined
  }
  logger.debug({ source, path: found.path, lines: found.lines }, 'line index matches the cache file: only lines not live are read')
  return found
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

function emptySourceReport(source: ResolvedSource, file: string): Omit<SourceReport, 'state'> {
  return { name: source.name, table: source.table, file, resumedRecords: 0, knownRecords: 0, records: emptyCounts(), ms: 0 }
}

function failedReport(source: ResolvedSource, err: unknown, file?: string): SourceReport {
  const code = (err as { code?: unknown }).code
  return {
    name: source.name,
    table: source.table,
    file,
    resumedRecords: 0,
    knownRecords: 0,
    records: emptyCounts(),
    ms: 0,
    state: 'failed',
    error: err instanceof Error ? err.message : String(err),
    code: typeof code === 'string' ? code : 'ERR_INTERNAL',
  }
}

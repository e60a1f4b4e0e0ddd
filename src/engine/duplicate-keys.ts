import type { Sink } from '../sink/sink.js'
import { ChunkCommitter, START } from './chunk-committer.js'
import { runMode } from './modes/run-mode.js'
import type { ModeContext, SourceJob, SourceRun } from './source-job.js'
import type { SyncMode } from './sync-report.js'

/**
 * A key that appears twice in one file can defeat the unchanged-record shortcut: an earlier record of
 * the key rewrites the row, then a later one, whose bytes are the row's old ones, is skipped as unchanged.
 * That shows as a displaced hash that some record matched; such a source is applied again, every record
 * parsed and written in file order, so that the last record of each key wins as in a plain upsert.
 */
export async function rewriteWhereDuplicateKeys(mode: SyncMode, jobs: SourceJob[], runs: SourceRun[], ctx: ModeContext, sink: Sink): Promise<void> {
  for (const [i, job] of jobs.entries()) {
    const run = runs[i] as SourceRun
    if (run.error !== undefined || run.deletion.kind !== 'unseen') continue
    const known = run.deletion.known
    if (!job.sourceSink.displacedHashes().some((hash) => known.isSeen(hash))) continue
    ctx.logger.warn({ source: job.source.name }, 'duplicate keys in the cache file: applying it again in file order')
    const again: SourceJob = {
      ...job,
      rewrite: true,
      sourceSink: sink.createSourceSink(job.source, { rewrite: true }),
      resumeFrom: START,
      commits: new ChunkCommitter({ identity: undefined, runId: undefined, resumed: true, recordRejects: false }),
    }
    // Its rows left alone (values equal) must count as seen in its own snapshot of the live rows.
    again.sourceSink.trackDisplaced()
    const [redo] = await runMode(mode, [again], ctx)
    if (redo === undefined) continue
    // The counts stay those of the first pass (what changed); deletions are decided by the second.
    // Which row of a twice-met key the table holds is known only to the table now: the next sync reads it.
    runs[i] = { ...run, error: redo.error, complete: redo.complete, deletion: redo.deletion, writtenRows: undefined, kept: redo.kept }
  }
}

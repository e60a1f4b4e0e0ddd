import type { ModeContext, SourceJob, SourceRun } from '../source-job.js'
import type { SyncMode } from '../sync-report.js'

/**
 * Syncs the jobs in the chosen mode; a run per job, in the jobs' order. A mode's module (its readers,
 * queues and JSON parser) is loaded when it has work: a sync with nothing to do loads none of them.
 */
export async function runMode(mode: SyncMode, jobs: SourceJob[], ctx: ModeContext): Promise<SourceRun[]> {
  if (jobs.length === 0) return []
  switch (mode) {
    case 'parallel':
      return (await import('./parallel.js')).runParallel(jobs, ctx)
    case 'sequential':
      return (await import('./sequential.js')).runSequential(jobs, ctx)
    case 'streaming':
      return (await import('./streaming.js')).runStreaming(jobs, ctx)
  }
}

import type { ModeContext, SourceJob, SourceRun } from '../source-job.js'
import type { SyncMode } from '../sync-report.js'
import { runParallel } from './parallel.js'
import { runSequential } from './sequential.js'
import { runStreaming } from './streaming.js'

/** Syncs the jobs in the chosen mode; a run per job, in the jobs' order. */
export async function runMode(mode: SyncMode, jobs: SourceJob[], ctx: ModeContext): Promise<SourceRun[]> {
  if (jobs.length === 0) return []
  switch (mode) {
    case 'parallel':
      return runParallel(jobs, ctx)
    case 'sequential':
      return runSequential(jobs, ctx)
    case 'streaming':
      return runStreaming(jobs, ctx)
  }
}

/** One run of one configuration: a fresh process, a fresh database. */
export interface BenchSample {
  /** The whole process, timed from outside (start-up included). */
  wallMs: number
  /** Peak RSS of that process in MiB; undefined when it could not be measured. */
  rssMb: number | undefined
  /** Rows in the loaded tables afterwards (checked against the records loaded). */
  rows: number
  /** Time measured inside the process, where the run's figure is that (the write ceiling). */
  innerMs?: number
  /** Our sync's `--json` report fields. */
  phases?: Record<string, number>
  busy?: Record<string, number>
  overlap?: string
  counts?: Record<string, number>
}

/** Everything measured of one configuration, or why it was not. */
export interface BenchRun {
  id: string
  label: string
  /** Records this configuration loads per run. */
  records: number
  samples: BenchSample[]
  /** Set when the tool is not on this machine: the row says so. */
  unavailable?: string
  /** Set when a run failed or loaded the wrong number of rows: no figure is reported. */
  failed?: string
}

/** The median run by time, with the fastest and slowest beside it. */
export interface BenchSummary {
  ms: number
  minMs: number
  maxMs: number
  rssMb: number | undefined
  recordsPerSec: number
  /** The median run itself (phases and counts of our sync). */
  sample: BenchSample
}

function figure(sample: BenchSample): number {
  return sample.innerMs ?? sample.wallMs
}

/** The median run (of an even count, the slower middle one: a real run, not an average) or undefined. */
export function summarize(run: BenchRun): BenchSummary | undefined {
  if (run.failed !== undefined || run.unavailable !== undefined || run.samples.length === 0) return undefined
  const sorted = [...run.samples].sort((a, b) => figure(a) - figure(b))
  const sample = sorted[Math.floor(sorted.length / 2)] as BenchSample
  const ms = figure(sample)
  return {
    ms,
    minMs: figure(sorted[0] as BenchSample),
    maxMs: figure(sorted[sorted.length - 1] as BenchSample),
    rssMb: sample.rssMb,
    recordsPerSec: (run.records / ms) * 1000,
    sample,
  }
}

import { resolve } from 'node:path'
import { checkPlotPath, readHistory, writeHistoryPlot } from '../../src/ops/history.js'
import type { RecordedRun } from '../../src/sink/recorded-run.js'
import type { HistoryArgs } from '../definitions/history.js'
import { EXIT } from '../exit-status.js'
import { formatHistory } from '../format-history.js'
import { loadConfig } from '../load-config.js'

/** `cachesync history`: the recorded sync runs as a table, or a plot. */
export async function run(args: HistoryArgs): Promise<number> {
  const plot = args.plot === undefined ? undefined : resolve(args.plot)
  if (plot !== undefined) checkPlotPath(plot)
  const { target, runs } = await readHistory(loadConfig(args).sink, args.limit)
  const plotted = plot === undefined ? undefined : await writeHistoryPlot(plot, runs, `cachesync sync history — ${target}`)
  if (args.json) process.stdout.write(`${JSON.stringify({ db: target, runs: runs.map(runToJson), plot: plot ?? null })}\n`)
  else {
    process.stdout.write(`${formatHistory(runs)}\n`)
    if (plot !== undefined) process.stdout.write(`plot: ${plot} (${plotted} runs)\n`)
  }
  return EXIT.ok
}

/** One run of `history --json`, newest first; absent values are null. */
function runToJson(run: RecordedRun): object {
  return {
    id: run.id,
    startedAt: run.startedAt,
    endedAt: run.endedAt ?? null,
    outcome: run.outcome,
    mode: run.mode ?? null,
    chunk: run.chunk ?? null,
    workers: run.workers ?? null,
    records: run.records,
    phases: run.phases ?? null,
    recordsPerSec: run.recordsPerSec ?? null,
    peakRssMb: run.peakRssMb ?? null,
    error: run.error ?? null,
    pid: run.pid ?? null,
    host: run.host ?? null,
    sources: run.sources.map((s) => ({ ...s, error: s.error ?? null })),
  }
}

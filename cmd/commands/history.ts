import { resolve } from 'node:path'
import type { CommandModule } from 'yargs'
import { checkPlotPath, readHistory, writeHistoryPlot } from '../../src/ops/history.js'
import type { RecordedRun } from '../../src/sink/recorded-run.js'
import { formatHistory } from '../format-history.js'
import { loadConfig } from '../shared-options.js'

interface HistoryArgs {
  config?: string
  db?: string
  limit: number
  plot?: string
  json: boolean
}

export function historyCommand(setExit: (code: number) => void): CommandModule<object, HistoryArgs> {
  return {
    command: 'history',
    describe: 'the recorded sync runs as a table (time, mode, records/s, phase times, peak RSS, outcome), or a plot',
    builder: (y) =>
      y
        .option('config', { type: 'string', describe: 'configuration file (YAML or JSON); env CACHESYNC_CONFIG' })
        .option('db', { type: 'string', describe: 'SQLite database file; env CACHESYNC_DB [default: ./data/cachesync.db]' })
        .option('limit', { type: 'number', default: 20, describe: 'the newest N runs' })
        .option('plot', { type: 'string', describe: 'also draw sync time and records/s over these runs into FILE.svg' })
        .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout' }) as never,
    handler: async (args) => {
      const plot = args.plot === undefined ? undefined : resolve(args.plot)
      if (plot !== undefined) checkPlotPath(plot)
      const { target, runs } = await readHistory(loadConfig(args).sink, args.limit)
      const plotted = plot === undefined ? undefined : await writeHistoryPlot(plot, runs, `cachesync sync history — ${target}`)
      if (args.json) process.stdout.write(`${JSON.stringify({ db: target, runs: runs.map(runToJson), plot: plot ?? null })}\n`)
      else {
        process.stdout.write(`${formatHistory(runs)}\n`)
        if (plot !== undefined) process.stdout.write(`plot: ${plot} (${plotted} runs)\n`)
      }
      setExit(0)
    },
  }
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

import { resolve } from 'node:path'
import type { CommandModule } from 'yargs'
import { renderBenchMarkdown } from '../../src/bench/bench-markdown.js'
import { BENCH_MODES, type BenchMode, DEFAULT_BENCH_OPTIONS } from '../../src/bench/bench-options.js'
import { runBench } from '../../src/bench/run-bench.js'
import { CachesyncError } from '../../src/util/errors.js'

interface BenchArgs {
  records: number
  modes: string
  chunks: string
  repeat: number
  repeatSlow: number
  naiveRecords: number
  seed: number
  out: string
  work: string
  plainLoader: string
  json: boolean
}

function list(flag: string, text: string): string[] {
  const items = text.split(',').map((s) => s.trim())
  if (items.some((s) => s === '')) throw new CachesyncError('ERR_USAGE', `bench: --${flag} takes a comma-separated list, got "${text}"`)
  return items
}

function chunkList(text: string): number[] {
  return list('chunks', text).map((s) => {
    const n = Number(s)
    if (!Number.isSafeInteger(n) || n < 1) throw new CachesyncError('ERR_USAGE', `bench: --chunks: "${s}" is not a positive integer`)
    return n
  })
}

export function benchCommand(setExit: (code: number) => void): CommandModule<object, BenchArgs> {
  const d = DEFAULT_BENCH_OPTIONS
  return {
    command: 'bench',
    describe: 'time every mode and chunk size against the plain loader, sqlite3, sqlite-utils and SQLite’s write ceiling',
    builder: (y) =>
      y
        .option('records', { type: 'number', default: d.records, describe: 'records in the generated data set' })
        .option('modes', { type: 'string', default: d.modes.join(','), describe: `comma-separated: ${BENCH_MODES.join(', ')}` })
        .option('chunks', { type: 'string', default: d.chunks.join(','), describe: 'streaming chunk sizes, comma-separated' })
        .option('repeat', { type: 'number', default: d.repeat, describe: 'runs of each of our configurations and the plain loader (median, min–max)' })
        .option('repeat-slow', { type: 'number', default: d.repeatSlow, describe: 'runs of the naive baseline, the sqlite3 shell and sqlite-utils' })
        .option('naive-records', { type: 'number', default: d.naiveRecords, describe: 'records the naive baseline loads; its time is scaled up' })
        .option('seed', { type: 'number', default: d.seed, describe: 'seed of the generated data set' })
        .option('out', { type: 'string', default: 'bench/results', describe: 'directory for the JSON and Markdown results' })
        .option('work', { type: 'string', default: d.work, describe: 'directory for the data sets (kept, reused) and databases (removed)' })
        .option('plain-loader', { type: 'string', default: d.plainLoader, describe: 'the plain loader script the speed-ups are taken against' })
        .option('json', { type: 'boolean', default: false, describe: 'print the report as JSON instead of Markdown' }) as never,
    handler: async (args) => {
      const report = await runBench(
        {
          records: args.records,
          modes: list('modes', args.modes) as BenchMode[],
          chunks: chunkList(args.chunks),
          repeat: args.repeat,
          repeatSlow: args.repeatSlow,
          naiveRecords: args.naiveRecords,
          seed: args.seed,
          work: resolve(args.work),
          out: resolve(args.out),
          plainLoader: resolve(args.plainLoader),
        },
        { progress: (line) => process.stderr.write(`${line}\n`) },
      )
      process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : renderBenchMarkdown(report))
      process.stderr.write(`written: ${report.files.join(', ')}\n`)
      // Our own runs failing is a failure of the bench; a competitor failing is a row of the report.
      const ours = report.runs.filter((r) => /^(parallel|sequential|streaming|resync|ceiling)/.test(r.id))
      setExit(ours.some((r) => r.failed !== undefined) ? 1 : 0)
    },
  }
}

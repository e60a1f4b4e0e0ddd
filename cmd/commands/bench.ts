import { resolve } from 'node:path'
import { renderBenchMarkdown } from '../../src/bench/bench-markdown.js'
import type { BenchMode } from '../../src/bench/bench-options.js'
import { runBench } from '../../src/bench/run-bench.js'
import { CachesyncError } from '../../src/util/errors.js'
import type { BenchArgs } from '../definitions/bench.js'
import { EXIT } from '../exit-status.js'

/** `cachesync bench`: every mode and chunk size against the plain loader and the other tools. */
export async function run(args: BenchArgs): Promise<number> {
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
      postgres: args.postgres,
    },
    { progress: (line) => process.stderr.write(`${line}\n`) },
  )
  process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : renderBenchMarkdown(report))
  process.stderr.write(`written: ${report.files.join(', ')}\n`)
  // Our own runs failing is a failure of the bench; a competitor failing is a row of the report.
  const ours = report.runs.filter((r) => /^(parallel|sequential|streaming|resync|ceiling|pg-first|pg-resync)/.test(r.id))
  return ours.some((r) => r.failed !== undefined) ? EXIT.failed : EXIT.ok
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

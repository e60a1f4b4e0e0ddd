import { resolve } from 'node:path'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { formatBytes, formatDuration, formatInt } from '../../src/util/format.js'
import type { GenerateArgs } from '../definitions/generate.js'
import { EXIT } from '../exit-status.js'

/** `cachesync generate`: a realistic DMR data set written as cache files. */
export async function run(args: GenerateArgs): Promise<number> {
  const report = await generateDmrCache({ records: args.records, cacheDir: resolve(args.cacheDir), seed: args.seed, changeRate: args.changeRate })
  if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`)
  else {
    for (const s of report.sources) process.stdout.write(`${s.file}: ${formatInt(s.records)} records, ${formatBytes(s.bytes)}\n`)
    process.stdout.write(`${formatInt(report.records)} records, ${formatBytes(report.bytes)} in ${formatDuration(report.ms)}\n`)
  }
  return EXIT.ok
}

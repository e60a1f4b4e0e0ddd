import { resolve } from 'node:path'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import type { GenerateArgs } from '../definitions/generate.js'
import { EXIT } from '../exit-status.js'

/** `cachesync generate`: a realistic DMR data set written as cache files. */
export async function run(args: GenerateArgs): Promise<number> {
  const report = await generateDmrCache({ records: args.records, cacheDir: resolve(args.cacheDir), seed: args.seed, changeRate: args.changeRate })
  if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`)
  else {
    for (const s of report.sources) process.stdout.write(`${s.file}: ${s.records.toLocaleString('en-US')} records, ${(s.bytes / 1e6).toFixed(1)} MB\n`)
    process.stdout.write(`${report.records.toLocaleString('en-US')} records, ${(report.bytes / 1e6).toFixed(1)} MB in ${Math.round(report.ms)} ms\n`)
  }
  return EXIT.ok
}

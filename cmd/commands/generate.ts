import { resolve } from 'node:path'
import type { CommandModule } from 'yargs'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'

interface GenerateArgs {
  records: number
  cacheDir: string
  seed: number
  changeRate: number
  json: boolean
}

export function generateCommand(setExit: (code: number) => void): CommandModule<object, GenerateArgs> {
  return {
    command: 'generate',
    describe: 'write a realistic DMR data set (repeaters, users, devices) as cache files',
    builder: (y) =>
      y
        .option('records', { type: 'number', default: 100_000, describe: 'records in all three files together' })
        .option('cache-dir', { type: 'string', default: './cache', describe: 'where to write the cache files' })
        .option('seed', { type: 'number', default: 1, describe: 'the same seed gives the same files' })
        .option('change-rate', { type: 'number', default: 0, describe: 'fraction of records altered, added and removed against the same seed' })
        .option('json', { type: 'boolean', default: false }) as never,
    handler: async (args) => {
      const report = await generateDmrCache({ records: args.records, cacheDir: resolve(args.cacheDir), seed: args.seed, changeRate: args.changeRate })
      if (args.json) process.stdout.write(`${JSON.stringify(report)}\n`)
      else {
        for (const s of report.sources) process.stdout.write(`${s.file}: ${s.records.toLocaleString('en-US')} records, ${(s.bytes / 1e6).toFixed(1)} MB\n`)
        process.stdout.write(`${report.records.toLocaleString('en-US')} records, ${(report.bytes / 1e6).toFixed(1)} MB in ${Math.round(report.ms)} ms\n`)
      }
      setExit(0)
    },
  }
}

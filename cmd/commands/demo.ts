import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { CommandModule } from 'yargs'
import { generateDmrCache, runSync } from '../../src/index.js'
import { formatSyncReport } from '../format-report.js'
import { createProgress } from '../progress.js'
import { cliLogger, loadConfig } from '../shared-options.js'
import { toJson } from './sync.js'

interface DemoArgs {
  records: number
  cacheDir: string
  db: string
  json: boolean
  logLevel?: string
}

export function demoCommand(setExit: (code: number) => void): CommandModule<object, DemoArgs> {
  return {
    command: 'demo',
    describe: 'generate a DMR data set and sync it with --mode auto into ./data/cachesync.db',
    builder: (y) =>
      y
        .option('records', { type: 'number', default: 276_600, describe: 'records to generate (the real DMR total by default)' })
        .option('cache-dir', { type: 'string', default: './data/demo-cache' })
        .option('db', { type: 'string', default: './data/cachesync.db' })
        .option('json', { type: 'boolean', default: false })
        .option('log-level', { type: 'string' }) as never,
    handler: async (args) => {
      const cacheDir = resolve(args.cacheDir)
      const say = (text: string): void => {
        if (!args.json) process.stdout.write(`${text}\n`)
      }
      if (existsSync(resolve(cacheDir, 'users.ndjson'))) say(`Using the demo data set in ${cacheDir} (delete it to generate anew).`)
      else {
        say(`Generating ${args.records.toLocaleString('en-US')} DMR records into ${cacheDir} …`)
        const generated = await generateDmrCache({ records: args.records, cacheDir, seed: 1 })
        for (const s of generated.sources) say(`  ${s.name}: ${s.records.toLocaleString('en-US')} records, ${(s.bytes / 1e6).toFixed(1)} MB`)
      }
      const config = loadConfig({ db: args.db, cacheDir }, { mode: 'auto' })
      say(`Syncing into ${config.db} with --mode auto …\n`)
      const logger = cliLogger(args)
      const progress = await createProgress(logger, true)
      const report = await runSync(config, { logger, onProgress: progress.onProgress }).finally(() => progress.stop())
      process.stdout.write(args.json ? `${JSON.stringify(toJson(report))}\n` : `${formatSyncReport(report)}\n`)
      say(
        '\nRun it again: unchanged cache files are skipped. Try `npx cachesync generate --cache-dir ./data/demo-cache --change-rate 0.01 --records 276600` then `npx cachesync sync --cache-dir ./data/demo-cache`.',
      )
      setExit(report.ok ? 0 : 1)
    },
  }
}

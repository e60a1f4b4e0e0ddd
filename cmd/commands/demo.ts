import { resolve } from 'node:path'
import type { CommandModule } from 'yargs'
import { startDemoApi } from '../../src/demo-api/demo-api.js'
import { runSync } from '../../src/engine/sync.js'
import { runWarm } from '../../src/warm/run-warm.js'
import { formatSyncReport } from '../format-report.js'
import { formatWarmReport, warmToJson } from '../format-warm-report.js'
import { createProgress } from '../progress.js'
import { cliLogger, loadConfig } from '../shared-options.js'
import { createWarmProgress } from '../warm-progress.js'
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
    describe: 'the whole way on a local DMR API: serve it on 127.0.0.1, warm the cache from it, sync with --mode auto',
    builder: (y) =>
      y
        .option('records', { type: 'number', default: 276_600, describe: 'records the demo API serves (the real DMR total by default)' })
        .option('cache-dir', { type: 'string', default: './data/demo-cache' })
        .option('db', { type: 'string', default: './data/cachesync.db' })
        .option('json', { type: 'boolean', default: false, describe: 'print {"warm":…,"sync":…} on stdout at the end' })
        .option('log-level', { type: 'string' }) as never,
    handler: async (args) => {
      const cacheDir = resolve(args.cacheDir)
      const say = (text: string): void => {
        if (!args.json) process.stdout.write(`${text}\n`)
      }
      // Info lines would tear through the progress lines on a terminal: there they are asked for explicitly.
      const quietOnTty = process.stderr.isTTY === true && process.env.CACHESYNC_LOG_LEVEL === undefined
      const logger = cliLogger({ ...args, logLevel: args.logLevel ?? (quietOnTty ? 'warn' : undefined) })
      const api = await startDemoApi({ records: args.records, seed: 1 })
      try {
        say(`Demo API with ${args.records.toLocaleString('en-US')} DMR records on ${api.url} (RadioID and BrandMeister paths).`)
        const config = loadConfig({ db: args.db, cacheDir }, { mode: 'auto', baseUrl: api.url })
        say(`Warming ${cacheDir} from it …\n`)
        const warmProgress = await createWarmProgress(logger, !args.json)
        const warm = await runWarm(config, { logger, onProgress: warmProgress.onProgress }).finally(() => warmProgress.stop())
        say(`${formatWarmReport(warm)}\n`)
        if (!warm.ok) {
          if (args.json) process.stdout.write(`${JSON.stringify({ warm: warmToJson(warm), sync: null })}\n`)
          setExit(1)
          return
        }
        say(`Syncing into ${config.db} with --mode auto …\n`)
        const progress = await createProgress(logger, !args.json)
        const report = await runSync(config, { logger, onProgress: progress.onProgress }).finally(() => progress.stop())
        if (args.json) process.stdout.write(`${JSON.stringify({ warm: warmToJson(warm), sync: toJson(report) })}\n`)
        else say(formatSyncReport(report))
        say(
          '\nRun it again: the API answers 304 Not Modified for the dumps, and unchanged cache files are not synced again. Try `npx cachesync serve-demo --change-rate 0.01`, then `npx cachesync warm --base-url <its URL> --cache-dir ./data/demo-cache` and `npx cachesync sync --cache-dir ./data/demo-cache`.',
        )
        setExit(report.ok ? 0 : 1)
      } finally {
        await api.close()
      }
    },
  }
}

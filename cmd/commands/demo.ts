import { resolve } from 'node:path'
import { startDemoApi } from '../../src/demo-api/demo-api.js'
import { withDemoIncremental } from '../../src/demo-api/demo-incremental.js'
import { runSync } from '../../src/engine/sync.js'
import { runWarm } from '../../src/warm/run-warm.js'
import { cliLogger } from '../cli-logger.js'
import type { DemoArgs } from '../definitions/demo.js'
import { EXIT } from '../exit-status.js'
import { formatSyncReport } from '../format-report.js'
import { formatWarmReport, warmToJson } from '../format-warm-report.js'
import { loadConfig } from '../load-config.js'
import { createProgress } from '../progress.js'
import { syncToJson } from '../sync-to-json.js'
import { createWarmProgress } from '../warm-progress.js'

/** `cachesync demo`: serve a local DMR API, warm the cache from it, sync with --mode auto. */
export async function run(args: DemoArgs): Promise<number> {
  const cacheDir = resolve(args.cacheDir)
  const say = (text: string): void => {
    if (!args.json) process.stdout.write(`${text}\n`)
  }
  // Info lines would tear through the progress lines on a terminal: there they are asked for explicitly.
  const quietOnTty = process.stderr.isTTY === true && process.env.CACHESYNC_LOG_LEVEL === undefined
  const logger = cliLogger({ logLevel: args.logLevel ?? (quietOnTty ? 'warn' : undefined) })
  // A twentieth of the devices change on every fetch: the second demo run fetches only those.
  const api = await startDemoApi({ records: args.records, seed: 1, deviceChanges: 0.05 })
  try {
    say(`Demo API with ${args.records.toLocaleString('en-US')} DMR records on ${api.url} (RadioID and BrandMeister paths).`)
    const config = withDemoIncremental(loadConfig({ db: args.db, cacheDir }, { mode: 'auto', baseUrl: api.url }))
    say(`Warming ${cacheDir} from it …\n`)
    const warmProgress = await createWarmProgress(logger, !args.json)
    const warm = await runWarm(config, { logger, onProgress: warmProgress.onProgress }).finally(() => warmProgress.stop())
    say(`${formatWarmReport(warm)}\n`)
    if (!warm.ok) {
      if (args.json) process.stdout.write(`${JSON.stringify({ warm: warmToJson(warm), sync: null })}\n`)
      return EXIT.failed
    }
    say(`Syncing into ${config.db} with --mode auto …\n`)
    const progress = await createProgress(logger, !args.json)
    const report = await runSync(config, { logger, onProgress: progress.onProgress }).finally(() => progress.stop())
    if (args.json) process.stdout.write(`${JSON.stringify({ warm: warmToJson(warm), sync: syncToJson(report) })}\n`)
    else say(formatSyncReport(report))
    say(
      '\nRun it again: the API answers 304 Not Modified for the dumps, unchanged cache files are not synced again, and the device list is fetched incrementally: only the devices changed since the last run, applied as a delta. Try `npx cachesync serve-demo --change-rate 0.01`, then `npx cachesync warm --base-url <its URL> --cache-dir ./data/demo-cache` and `npx cachesync sync --cache-dir ./data/demo-cache`.',
    )
    return report.ok ? EXIT.ok : EXIT.failed
  } finally {
    await api.close()
  }
}

import { runRestore } from '../../src/archive/run-restore.js'
import { cliLogger } from '../cli-logger.js'
import type { RestoreArgs } from '../definitions/restore.js'
import { EXIT } from '../exit-status.js'
import { formatRestoreReport } from '../format-archive.js'
import { loadConfig } from '../load-config.js'

/** `cachesync restore FILE|DIR…`: archived rows back into their tables. */
export async function run(args: RestoreArgs): Promise<number> {
  const config = loadConfig(args, { sink: args.sink, schema: args.schema })
  const report = await runRestore(config, args.paths ?? [], { logger: cliLogger(args) })
  process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : `${formatRestoreReport(report)}\n`)
  return EXIT.ok
}

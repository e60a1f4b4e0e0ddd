import { resolve } from 'node:path'
import { backupSink } from '../../src/sink/backup-sink.js'
import { formatBytes } from '../../src/util/format.js'
import type { BackupArgs } from '../definitions/backup.js'
import { EXIT } from '../exit-status.js'
import { loadConfig } from '../load-config.js'

/** `cachesync backup`: an online backup of the database (SQLite's backup API, or pg_dump), verified, the newest N kept. */
export async function run(args: BackupArgs): Promise<number> {
  const config = loadConfig(args, { sink: args.sink, schema: args.schema })
  const db = config.sink.kind === 'sqlite' ? config.sink.path : config.sink.display
  const result = await backupSink(config, {
    ...(args.keep === undefined ? {} : { keep: args.keep }),
    ...(args.to === undefined ? {} : { toDir: resolve(args.to) }),
  })
  if (args.json) process.stdout.write(`${JSON.stringify({ ok: true, db, ...result, ms: Math.round(result.ms * 10) / 10 })}\n`)
  else {
    process.stdout.write(`${db} → ${result.path}: ${formatBytes(result.bytes)}, integrity ok, ${Math.round(result.ms)} ms\n`)
    if (result.pruned.length > 0) process.stdout.write(`removed ${result.pruned.length} older backup(s): ${result.pruned.join(', ')}\n`)
  }
  return EXIT.ok
}

import yargs from 'yargs'
import { hideBin } from 'yargs/helpers'
import { isUserError } from '../src/util/errors.js'
import { backupCommand } from './commands/backup.js'
import { benchCommand } from './commands/bench.js'
import { demoCommand } from './commands/demo.js'
import { generateCommand } from './commands/generate.js'
import { historyCommand } from './commands/history.js'
import { monitorCommand } from './commands/monitor.js'
import { serveDemoCommand } from './commands/serve-demo.js'
import { statusCommand } from './commands/status.js'
import { syncCommand } from './commands/sync.js'
import { warmCommand } from './commands/warm.js'
import { VERSION } from './version.js'

/** Exit statuses: scripts and cron wrappers act on them. */
export const EXIT = { ok: 0, failed: 1, usage: 2, locked: 3 } as const

async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok
  await yargs(argv)
    .scriptName('cachesync')
    .version(VERSION)
    .strict()
    .demandCommand(1, 'Name a command: warm, sync, monitor, status, history, backup, bench, generate, serve-demo or demo (see --help).')
    .command(warmCommand((code) => (exitCode = code)))
    .command(syncCommand((code) => (exitCode = code)))
    .command(generateCommand((code) => (exitCode = code)))
    .command(demoCommand((code) => (exitCode = code)))
    .command(serveDemoCommand((code) => (exitCode = code)))
    .command(backupCommand((code) => (exitCode = code)))
    .command(benchCommand((code) => (exitCode = code)))
    .command(monitorCommand((code) => (exitCode = code)))
    .command(statusCommand((code) => (exitCode = code)))
    .command(historyCommand((code) => (exitCode = code)))
    .fail((message, err) => {
      if (err) throw err
      throw new UsageError(message)
    })
    .help()
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .parseAsync()
  return exitCode
}

class UsageError extends Error {}

/** The one error boundary: a user's mistake prints its message; anything else is a bug and says so. */
function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError) {
    process.stderr.write(`cachesync: ${err.message}\nRun \`cachesync --help\` for usage.\n`)
    return EXIT.usage
  }
  if (isUserError(err)) {
    process.stderr.write(`cachesync: ${err.message}\n`)
    if (err.code === 'ERR_CONFIG' || err.code === 'ERR_USAGE') return EXIT.usage
    if (err.code === 'ERR_LOCKED') return EXIT.locked
    return EXIT.failed
  }
  process.stderr.write(`cachesync: unexpected error — this is a bug, please report it with the trace below.\n${(err as Error)?.stack ?? String(err)}\n`)
  return EXIT.failed
}

// A reader that went away (`cachesync sync --json | head -c 100`) is not an error of ours: stop quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err
  process.exit(process.exitCode ?? EXIT.ok)
})

main(hideBin(process.argv)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    process.exitCode = exitCodeFor(err)
  },
)

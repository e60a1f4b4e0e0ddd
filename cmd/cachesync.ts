import yargs, { type Argv } from 'yargs'
import { hideBin } from 'yargs/helpers'
import { isUserError } from '../src/util/errors.js'
import { PACKAGE_VERSION } from '../src/util/package-version.js'
import type { CommandDefinition, CommandHandler, OptionTable } from './command-definition.js'
import { archiveCommand } from './definitions/archive.js'
import { backupCommand } from './definitions/backup.js'
import { benchCommand } from './definitions/bench.js'
import { demoCommand } from './definitions/demo.js'
import { generateCommand } from './definitions/generate.js'
import { historyCommand } from './definitions/history.js'
import { initCommand } from './definitions/init.js'
import { monitorCommand } from './definitions/monitor.js'
import { restoreCommand } from './definitions/restore.js'
import { schemaCommand } from './definitions/schema.js'
import { serveDemoCommand } from './definitions/serve-demo.js'
import { statusCommand } from './definitions/status.js'
import { syncCommand } from './definitions/sync.js'
import { warmCommand } from './definitions/warm.js'
import { EXIT } from './exit-status.js'
import { skipHelpCache } from './skip-help-cache.js'

interface Command {
  name: string
  register(y: Argv, setExit: (code: number) => void): Argv
}

/** Pairs a definition with its handler module; the compiler checks that the handler takes the definition's arguments. */
function command<O extends OptionTable>(definition: CommandDefinition<O>, load: () => Promise<CommandHandler<O>>): Command {
  return {
    name: definition.name.split(' ')[0] as string,
    register: (y, setExit) =>
      y.command(definition.name, definition.describe, definition.options, async (args) => {
        setExit(await (await load()).run(args))
      }),
  }
}

// A handler module is imported when its command runs: `--help` and `--version` load no engine, driver or logger.
const COMMANDS: readonly Command[] = [
  command(initCommand, () => import('./commands/init.js')),
  command(warmCommand, () => import('./commands/warm.js')),
  command(syncCommand, () => import('./commands/sync.js')),
  command(generateCommand, () => import('./commands/generate.js')),
  command(demoCommand, () => import('./commands/demo.js')),
  command(serveDemoCommand, () => import('./commands/serve-demo.js')),
  command(backupCommand, () => import('./commands/backup.js')),
  command(archiveCommand, () => import('./commands/archive.js')),
  command(restoreCommand, () => import('./commands/restore.js')),
  command(benchCommand, () => import('./commands/bench.js')),
  command(monitorCommand, () => import('./commands/monitor.js')),
  command(statusCommand, () => import('./commands/status.js')),
  command(historyCommand, () => import('./commands/history.js')),
  command(schemaCommand, () => import('./commands/schema.js')),
]

async function main(argv: string[]): Promise<number> {
  let exitCode: number = EXIT.ok
  const setExit = (code: number): void => {
    exitCode = code
  }
  const names = COMMANDS.map((c) => c.name)
  const cli = yargs(argv)
    .scriptName('cachesync')
    .version(PACKAGE_VERSION)
    .strict()
    .demandCommand(1, `Name a command: ${names.slice(0, -1).join(', ')} or ${names.at(-1)} (see --help).`)
  skipHelpCache(cli)
  for (const c of COMMANDS) c.register(cli, setExit)
  await cli
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

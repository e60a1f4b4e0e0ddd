import type { CommandModule } from 'yargs'
import { readStatus, type Status } from '../../src/ops/status.js'
import { formatStatus } from '../format-status.js'
import { loadConfig, withConfigOptions } from '../shared-options.js'

interface StatusArgs {
  config?: string
  db?: string
  cacheDir?: string
  json: boolean
  logLevel?: string
}

export function statusCommand(setExit: (code: number) => void): CommandModule<object, StatusArgs> {
  return {
    command: 'status',
    describe: 'per source: rows, last sync, cache age and freshness, last warm; database size; whether a sync or warm is running',
    builder: (y) => withConfigOptions(y) as never,
    handler: async (args) => {
      const status = await readStatus(loadConfig(args))
      process.stdout.write(args.json ? `${JSON.stringify(statusToJson(status))}\n` : `${formatStatus(status)}\n`)
      setExit(0)
    },
  }
}

/** The `--json` contract of `cachesync status`: absent values are null. */
export function statusToJson(status: Status): object {
  return JSON.parse(JSON.stringify(status, (_key, value: unknown) => (value === undefined ? null : value))) as object
}

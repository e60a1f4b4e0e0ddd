import { type ArgsOf, defineCommand } from '../command-definition.js'
import { CONFIG_OPTIONS } from '../shared-options.js'

export const restoreCommand = defineCommand({
  name: 'restore [paths..]',
  describe: 'load archive files (or every one in a directory) back into their tables; each sha256 is checked first, the newest row wins',
  options: {
    ...CONFIG_OPTIONS,
    sink: { type: 'string', describe: 'the database: sqlite://FILE or postgres://user@host:port/db; env CACHESYNC_SINK' },
    schema: { type: 'string', describe: 'PostgreSQL schema of the tables; env CACHESYNC_SCHEMA [default: public]' },
    paths: { type: 'string', array: true, describe: 'archive files (*.jsonl.gz) and directories of them' },
  },
})

export type RestoreArgs = ArgsOf<typeof restoreCommand.options>

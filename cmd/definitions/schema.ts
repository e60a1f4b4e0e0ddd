import { type ArgsOf, defineCommand } from '../command-definition.js'
import { SHARED_OPTIONS } from '../shared-options.js'

export const schemaCommand = defineCommand({
  name: 'schema',
  describe: "each source's mapping as configuration: its table's columns, or before a first sync those its cache file suggests",
  options: {
    config: SHARED_OPTIONS.config,
    db: SHARED_OPTIONS.db,
    'cache-dir': SHARED_OPTIONS['cache-dir'],
    sink: { type: 'string', describe: 'where the tables are: sqlite://FILE or postgres://user@host:port/db; env CACHESYNC_SINK' },
    source: { type: 'string', array: true, describe: 'only this source (repeatable)' },
    format: { choices: ['yaml', 'json'] as const, default: 'yaml' as const, describe: 'print YAML to paste into the configuration, or JSON' },
  },
})

export type SchemaArgs = ArgsOf<typeof schemaCommand.options>

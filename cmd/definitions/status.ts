import { type ArgsOf, defineCommand } from '../command-definition.js'
import { CONFIG_OPTIONS } from '../shared-options.js'

export const statusCommand = defineCommand({
  name: 'status',
  describe: 'per source: rows, last sync, cache age and freshness, last warm; database size; whether a sync or warm is running',
  options: CONFIG_OPTIONS,
})

export type StatusArgs = ArgsOf<typeof statusCommand.options>

import { type ArgsOf, defineCommand } from '../command-definition.js'
import { SHARED_OPTIONS } from '../shared-options.js'

export const historyCommand = defineCommand({
  name: 'history',
  describe: 'the recorded sync runs as a table (time, mode, records/s, phase times, peak RSS, outcome), or a plot',
  options: {
    config: SHARED_OPTIONS.config,
    db: SHARED_OPTIONS.db,
    limit: { type: 'number', default: 20, describe: 'the newest N runs' },
    plot: { type: 'string', describe: 'also draw sync time and records/s over these runs into FILE.svg' },
    json: { ...SHARED_OPTIONS.json, describe: 'print one JSON object on stdout' },
  },
})

export type HistoryArgs = ArgsOf<typeof historyCommand.options>

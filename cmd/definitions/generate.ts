import { type ArgsOf, defineCommand } from '../command-definition.js'
import { SHARED_OPTIONS } from '../shared-options.js'

export const generateCommand = defineCommand({
  name: 'generate',
  describe: 'write a realistic DMR data set (repeaters, users, devices) as cache files',
  options: {
    records: { type: 'number', default: 100_000, describe: 'records in all three files together' },
    'cache-dir': { type: 'string', default: './cache', describe: 'where to write the cache files' },
    seed: { type: 'number', default: 1, describe: 'the same seed gives the same files' },
    'change-rate': { type: 'number', default: 0, describe: 'fraction of records altered, added and removed against the same seed' },
    json: SHARED_OPTIONS.json,
  },
})

export type GenerateArgs = ArgsOf<typeof generateCommand.options>

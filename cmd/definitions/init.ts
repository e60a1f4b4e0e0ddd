import { type ArgsOf, defineCommand } from '../command-definition.js'

export const initCommand = defineCommand({
  name: 'init',
  describe: 'read the first page of a JSON API and write a source for it (records, pagination, key) to the configuration file',
  options: {
    url: { type: 'string', demandOption: true, describe: "the API's URL, http:// or https://" },
    name: { type: 'string', describe: "the source's name [default: the last word of the URL's path]" },
    config: { type: 'string', describe: 'the configuration file to write, or to add the source to; env CACHESYNC_CONFIG [default: ./cachesync.yaml]' },
    'dry-run': { type: 'boolean', default: false, describe: 'print the configuration on stdout (and the decisions on stderr) instead of writing it' },
  },
})

export type InitArgs = ArgsOf<typeof initCommand.options>

import { type ArgsOf, defineCommand } from '../command-definition.js'

export const serveDemoCommand = defineCommand({
  name: 'serve-demo',
  describe: 'serve the generated DMR data set over HTTP on 127.0.0.1, at the built-in sources’ paths',
  options: {
    port: { type: 'number', default: 0, describe: 'port to listen on; 0 picks a free one' },
    records: { type: 'number', default: 276_600, describe: 'records over the three sources' },
    seed: { type: 'number', default: 1, describe: 'the same seed serves the same data' },
    'change-rate': {
      type: 'number',
      default: 0,
      describe:
        'serve the data set changed by this fraction; the device list also changes this fraction at the start of every fetch (?updated_since= sees them)',
    },
    gzip: { type: 'boolean', default: false, describe: 'gzip bodies for clients that accept it' },
    faults: {
      type: 'string',
      describe:
        'faults by path as JSON, e.g. \'{"/static/users.json":{"status":503,"retryAfter":2,"times":1}}\'; or per request: ?fault=500|429|hang|cut|stall|invalid',
    },
  },
})

export type ServeDemoArgs = ArgsOf<typeof serveDemoCommand.options>

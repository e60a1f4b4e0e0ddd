import { type ArgsOf, defineCommand } from '../command-definition.js'
import { SHARED_OPTIONS } from '../shared-options.js'

export const demoCommand = defineCommand({
  name: 'demo',
  describe: 'the whole way on a local DMR API: serve it on 127.0.0.1, warm the cache from it, sync with --mode auto',
  options: {
    records: { type: 'number', default: 276_600, describe: 'records the demo API serves (the real DMR total by default)' },
    'cache-dir': { type: 'string', default: './data/demo-cache', describe: 'cache directory the demo warms' },
    db: { type: 'string', default: './data/cachesync.db', describe: 'SQLite database file the demo syncs into' },
    json: { ...SHARED_OPTIONS.json, describe: 'print {"warm":…,"sync":…} on stdout at the end' },
    'log-level': SHARED_OPTIONS['log-level'],
  },
})

export type DemoArgs = ArgsOf<typeof demoCommand.options>

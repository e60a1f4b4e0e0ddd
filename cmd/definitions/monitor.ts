import { type ArgsOf, defineCommand } from '../command-definition.js'
import { CONFIG_OPTIONS } from '../shared-options.js'

export const monitorCommand = defineCommand({
  name: 'monitor',
  describe: 'time a sync (or read the last one) and print OK or ALERT: exit 0 OK, 2 ALERT, 1 the sync failed',
  options: {
    ...CONFIG_OPTIONS,
    threshold: { type: 'number', default: 5, describe: 'seconds the sync may take' },
    run: { type: 'boolean', conflicts: 'last', describe: 'time a sync of the current cache into a scratch copy of the database (the default)' },
    last: { type: 'boolean', describe: 'judge the newest run recorded in the database instead of timing one' },
    records: {
      type: 'number',
      conflicts: 'last',
      describe: 'time a first sync of N generated records instead (a synthetic check, independent of upstream, into a scratch SQLite file whatever the sink)',
    },
    'min-rate': { type: 'number', describe: 'alert below this many records/s' },
    'max-rss-mb': { type: 'number', describe: 'alert when peak RSS exceeds this many MiB' },
    'max-staleness': { type: 'string', describe: 'alert when the last successful sync is older than this (30m, 2h, 1d)' },
    webhook: { type: 'string', describe: 'POST the verdict as JSON here (Slack-style `text` included); a failure is reported, not fatal' },
  },
})

export type MonitorArgs = ArgsOf<typeof monitorCommand.options>

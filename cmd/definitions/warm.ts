import { type ArgsOf, defineCommand } from '../command-definition.js'
import { SHARED_OPTIONS } from '../shared-options.js'

export const warmCommand = defineCommand({
  name: 'warm',
  describe: 'fetch the sources from their HTTP APIs into the cache directory',
  options: {
    config: SHARED_OPTIONS.config,
    'cache-dir': SHARED_OPTIONS['cache-dir'],
    'max-age': { type: 'string', describe: 'skip a source whose cache is younger than this (90s, 30m, 1h); env CACHESYNC_MAX_AGE' },
    source: { type: 'string', array: true, describe: 'warm only these sources (repeat, or list them)' },
    concurrency: { type: 'number', describe: 'requests in flight at once; env CACHESYNC_CONCURRENCY [default: 4]' },
    'base-url': { type: 'string', describe: 'replace the scheme, host and port of every source URL; env CACHESYNC_BASE_URL' },
    'allow-shrink': {
      type: 'boolean',
      default: false,
      describe: "accept a fetch with fewer records than the source's minRecords, or dropping more than its maxShrink [default: 50 %]",
    },
    full: {
      type: 'boolean',
      default: false,
      describe: 'incremental sources fetch everything now, as when their fullEvery is due: deletes upstream come in',
    },
    json: SHARED_OPTIONS.json,
    'metrics-file': SHARED_OPTIONS['metrics-file'],
    'log-level': SHARED_OPTIONS['log-level'],
    progress: { type: 'boolean', default: true, describe: 'show progress (a line per source on a terminal, log lines otherwise)' },
  },
})

export type WarmArgs = ArgsOf<typeof warmCommand.options>

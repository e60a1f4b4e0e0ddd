import type { OptionTable } from './command-definition.js'

/** Options several verbs take, defined once: a command takes them whole or picks some by name. */
export const SHARED_OPTIONS = {
  config: { type: 'string', describe: 'configuration file (YAML or JSON); env CACHESYNC_CONFIG' },
  db: { type: 'string', describe: 'SQLite database file; env CACHESYNC_DB [default: ./data/cachesync.db]' },
  'cache-dir': { type: 'string', describe: 'cache directory; env CACHESYNC_CACHE_DIR [default: ./cache]' },
  json: { type: 'boolean', default: false, describe: 'print one JSON object on stdout at the end' },
  'log-level': { type: 'string', describe: 'fatal, error, warn, info, debug or silent; env CACHESYNC_LOG_LEVEL' },
  'metrics-file': {
    type: 'string',
    describe: 'write Prometheus metrics of the run to this file (node_exporter textfile collector: temp file, then rename)',
  },
} as const satisfies OptionTable

/** The options of every verb that reads the configuration and opens its database. */
export const CONFIG_OPTIONS = {
  config: SHARED_OPTIONS.config,
  db: SHARED_OPTIONS.db,
  'cache-dir': SHARED_OPTIONS['cache-dir'],
  json: SHARED_OPTIONS.json,
  'log-level': SHARED_OPTIONS['log-level'],
} as const satisfies OptionTable

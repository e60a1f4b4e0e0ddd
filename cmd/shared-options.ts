import { availableParallelism } from 'node:os'
import type { Argv } from 'yargs'
import { type ConfigOptions, type ResolvedConfig, resolveConfig } from '../src/config/resolve-config.js'
import { createLogger, type Logger } from '../src/util/logger.js'

/** Options every database verb takes. */
export function withConfigOptions<T>(y: Argv<T>) {
  return y
    .option('config', { type: 'string', describe: 'configuration file (YAML or JSON); env CACHESYNC_CONFIG' })
    .option('db', { type: 'string', describe: 'SQLite database file; env CACHESYNC_DB [default: ./data/cachesync.db]' })
    .option('cache-dir', { type: 'string', describe: 'cache directory; env CACHESYNC_CACHE_DIR [default: ./cache]' })
    .option('json', { type: 'boolean', default: false, describe: 'print one JSON object on stdout at the end' })
    .option('log-level', { type: 'string', describe: 'fatal, error, warn, info, debug or silent; env CACHESYNC_LOG_LEVEL' })
}

export interface ConfigArgs {
  config?: string | undefined
  db?: string | undefined
  cacheDir?: string | undefined
  logLevel?: string | undefined
}

/** Flags > environment > file > defaults, resolved once; `ignoreEnv` names variables a command read itself. */
export function loadConfig(args: ConfigArgs, flags: ConfigOptions = {}, options: { ignoreEnv?: readonly string[] } = {}): ResolvedConfig {
  const ignored = new Set(options.ignoreEnv ?? [])
  return resolveConfig({
    env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !ignored.has(key))),
    configFile: args.config,
    flags: { db: args.db, cacheDir: args.cacheDir, ...flags },
    defaultWorkers: availableParallelism(),
  })
}

export function cliLogger(args: ConfigArgs & { json?: boolean | undefined }): Logger {
  return createLogger({
    ...(args.logLevel === undefined ? {} : { level: args.logLevel }),
    pretty: process.stderr.isTTY === true,
  })
}

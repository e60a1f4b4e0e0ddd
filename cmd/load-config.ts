import { availableParallelism } from 'node:os'
import { type ConfigOptions, type ResolvedConfig, resolveConfig } from '../src/config/resolve-config.js'
import type { ArgsOf } from './command-definition.js'
import type { CONFIG_OPTIONS } from './shared-options.js'

/** The configuration flags a command passes on; a verb may take only some of them. */
export type ConfigArgs = Partial<Pick<ArgsOf<typeof CONFIG_OPTIONS>, 'config' | 'db' | 'cacheDir'>>

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

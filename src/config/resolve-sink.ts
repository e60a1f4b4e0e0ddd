import { resolve } from 'node:path'
import { ConfigError } from '../util/errors.js'
import { maskUrl } from '../util/mask-url.js'

/**
 * Where a sync writes: a SQLite file, or a schema of a PostgreSQL database.
 *
 * @example
 * console.log(config.sink.kind === 'sqlite' ? config.sink.path : config.sink.display)
 */
export type ResolvedSink =
  | { readonly kind: 'sqlite'; readonly path: string }
  | {
      readonly kind: 'postgres'
      /** The connection URL as given, credentials included: never to be printed (see `display`). */
      readonly url: string
      /** The URL with its password masked. */
      readonly display: string
      readonly schema: string
      /** A source another host is syncing: wait for its lock, or skip the source. */
      readonly lock: 'wait' | 'skip'
    }

export const DEFAULT_SCHEMA = 'public'

/**
 * The sink from the first layer (flags, environment, file) that names one: `sink` wins over `db`
 * within a layer, and `--db FILE` on the command line wins over a `sink` from the environment or file.
 */
export function resolveSink(
  layers: readonly { sink?: unknown; db?: unknown }[],
  settings: { db: string; cwd: string; schema: string | undefined; pgLock: 'wait' | 'skip' | undefined },
): ResolvedSink {
  for (const layer of layers) {
    if (typeof layer.sink === 'string' && layer.sink !== '') return parseSinkUrl(layer.sink, settings)
    if (typeof layer.db === 'string' && layer.db !== '') break
  }
  return { kind: 'sqlite', path: settings.db }
}

function parseSinkUrl(raw: string, settings: { cwd: string; schema: string | undefined; pgLock: 'wait' | 'skip' | undefined }): ResolvedSink {
  if (raw.startsWith('sqlite://')) {
    const path = raw.slice('sqlite://'.length)
    if (path === '') throw new ConfigError('Invalid configuration:', ['sink: sqlite:// needs a file, as in sqlite://./data/cachesync.db'])
    return { kind: 'sqlite', path: resolve(settings.cwd, path) }
  }
  if (/^postgres(ql)?:\/\//.test(raw)) {
    let url: URL
    try {
      url = new URL(raw)
    } catch {
      throw new ConfigError('Invalid configuration:', [`sink: ${maskUrl(raw)} is not a valid URL`])
    }
    if (url.pathname.length <= 1 && !url.searchParams.has('dbname')) {
      // libpq would fall back to the user name as the database: say which one we mean instead.
      throw new ConfigError('Invalid configuration:', [`sink: ${maskUrl(raw)} names no database; add it as in postgres://user@host:5432/DBNAME`])
    }
    return { kind: 'postgres', url: raw, display: maskUrl(raw), schema: settings.schema ?? DEFAULT_SCHEMA, lock: settings.pgLock ?? 'wait' }
  }
  throw new ConfigError('Invalid configuration:', [`sink: expected sqlite://FILE or postgres://user@host:port/db, got ${JSON.stringify(maskUrl(raw))}`])
}

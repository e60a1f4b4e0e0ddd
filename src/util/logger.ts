import { createRequire } from 'node:module'
import type * as Pino from 'pino'

/**
 * The slice of pino's logger the library uses; silent unless the caller passes one.
 *
 * @example
 * await runSync(config, { logger: pino({ level: 'info' }) })
 */
export interface Logger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
  debug(obj: object, msg: string): void
}

/**
 * Discards everything. A plain object rather than a silent pino: a pino logger opens a stream and adds a
 * process `exit` listener, which importing cachesync must not do.
 */
export const silentLogger: Logger = Object.freeze({ info() {}, warn() {}, error() {}, debug() {} })

export interface LoggerOptions {
  level?: string
  /** Human-readable lines instead of JSON (a terminal). */
  pretty?: boolean
}

/** A pino logger writing to stderr: JSON, or pretty on a terminal. Secrets are redacted by path. */
export function createLogger(options: LoggerOptions = {}): Logger {
  // Loaded here rather than at import: a program that embeds cachesync brings its own logger, or none.
  const { pino } = createRequire(import.meta.url)('pino') as typeof Pino
  const level = options.level ?? process.env.CACHESYNC_LOG_LEVEL ?? 'info'
  // The warm stage logs masked URLs and never a header or a secret; these paths catch a mistake that would.
  const secretFields = ['apiKey', 'authorization', 'password', 'token', 'secret']
  const paths = [
    ...secretFields.flatMap((field) => [field, `*.${field}`]),
    'headers.authorization',
    '*.headers.authorization',
    'headers["x-api-key"]',
    '*.headers["x-api-key"]',
    'auth.value',
    '*.auth.value',
  ]
  const redact = { paths, censor: '[redacted]' }
  if (options.pretty) {
    return pino({ level, redact }, pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: true, ignore: 'pid,hostname' } }))
  }
  return pino({ level, redact }, pino.destination({ fd: 2, sync: true }))
}

import { pino } from 'pino'

/** The slice of pino's logger the library uses; silent unless the caller passes one. */
export interface Logger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
  debug(obj: object, msg: string): void
}

export const silentLogger: Logger = pino({ level: 'silent' })

export interface LoggerOptions {
  level?: string
  /** Human-readable lines instead of JSON (a terminal). */
  pretty?: boolean
}

/** A pino logger writing to stderr: JSON, or pretty on a terminal. Secrets are redacted by path. */
export function createLogger(options: LoggerOptions = {}): Logger {
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

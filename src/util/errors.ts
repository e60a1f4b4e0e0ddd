/**
 * Stable error codes: code tests `err.code`, never `instanceof` (errors lose their class across threads).
 *
 * @example
 * if (isUserError(err) && err.code === 'ERR_LOCKED') console.error('another sync is running')
 */
export type CachesyncErrorCode =
  | 'ERR_CONFIG'
  | 'ERR_USAGE'
  | 'ERR_LOCKED'
  | 'ERR_PARSE'
  | 'ERR_SOURCE'
  | 'ERR_TOO_MANY_REJECTS'
  | 'ERR_IO'
  | 'ERR_DISK_FULL'
  | 'ERR_READONLY'
  /** The database refused for want of a privilege (a GRANT away from working). */
  | 'ERR_PRIVILEGE'
  /** A program cachesync runs (pg_dump, pg_restore) is missing or failed. */
  | 'ERR_TOOL'
  /** The database server cannot be reached, or the run lost its connection to it. */
  | 'ERR_DB_UNAVAILABLE'
  | 'ERR_HTTP_STATUS'
  | 'ERR_NETWORK'
  | 'ERR_TIMEOUT'
  | 'ERR_CIRCUIT_OPEN'
  | 'ERR_ABORTED'
  | 'ERR_SHRINK'
  | 'ERR_INTERNAL'

/**
 * The one base class of cachesync's errors: a message for a user and a stable `code`.
 *
 * @example
 * if (err instanceof CachesyncError && err.code === 'ERR_ABORTED') console.log('stopped; the next sync resumes')
 */
export class CachesyncError extends Error {
  readonly code: CachesyncErrorCode

  constructor(code: CachesyncErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'CachesyncError'
    this.code = code
  }
}

/**
 * A configuration that does not validate; `issues` are `path: message` lines.
 *
 * @example
 * if (err instanceof ConfigError) for (const issue of err.issues) console.error(issue)
 */
export class ConfigError extends CachesyncError {
  readonly issues: readonly string[]

  constructor(message: string, issues: readonly string[] = []) {
    super('ERR_CONFIG', issues.length > 0 ? `${message}\n  ${issues.join('\n  ')}` : message)
    this.name = 'ConfigError'
    this.issues = issues
  }
}

/**
 * An HTTP response whose status is not a success; `url` has its credentials masked.
 *
 * @example
 * if (err instanceof HttpStatusError && err.status === 429) console.error('rate limited by', err.url)
 */
export class HttpStatusError extends CachesyncError {
  readonly status: number
  readonly url: string
  /** From a Retry-After header, when the response had one. */
  readonly retryAfterMs: number | undefined

  constructor(status: number, url: string, retryAfterMs?: number) {
    super('ERR_HTTP_STATUS', `HTTP ${status} from ${url}`)
    this.name = 'HttpStatusError'
    this.status = status
    this.url = url
    this.retryAfterMs = retryAfterMs
  }
}

/** What crosses a worker boundary in place of an Error. */
export interface SerializedError {
  code: string
  message: string
  stack?: string
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code
    return {
      code: typeof code === 'string' ? code : 'ERR_INTERNAL',
      message: err.message,
      ...(err.stack === undefined ? {} : { stack: err.stack }),
    }
  }
  return { code: 'ERR_INTERNAL', message: String(err) }
}

export function deserializeError(serialized: SerializedError): CachesyncError {
  const known = isCachesyncCode(serialized.code) ? serialized.code : 'ERR_INTERNAL'
  const err = new CachesyncError(known, serialized.message)
  if (serialized.stack !== undefined) err.stack = serialized.stack
  return err
}

function isCachesyncCode(code: string): code is CachesyncErrorCode {
  return code.startsWith('ERR_')
}

/**
 * True for errors a user caused and can fix: the CLI prints their message without a stack. Any other error
 * is a bug, whose stack is worth keeping.
 *
 * @example
 * if (!isUserError(err)) throw err
 * console.error(`${err.code}: ${err.message}`)
 */
export function isUserError(err: unknown): err is CachesyncError {
  return err instanceof CachesyncError && err.code !== 'ERR_INTERNAL'
}

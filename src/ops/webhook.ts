import { setTimeout as sleep } from 'node:timers/promises'
import { CachesyncError } from '../util/errors.js'
import { PACKAGE_VERSION } from '../util/package-version.js'
import { postJson } from '../warm/http-client.js'

/** How the delivery of a webhook went; a failure is reported, never thrown. */
export interface WebhookResult {
  readonly ok: boolean
  /** The receiver's origin only: a Slack-style URL carries its secret in the path. */
  readonly target: string
  readonly attempts: number
  /** The last HTTP status, when a response came. */
  readonly status: number | undefined
  readonly error: string | undefined
}

export interface WebhookOptions {
  /** Per attempt, connection to body. @default 5000 */
  timeoutMs?: number
  /** Wait before the one retry. @default 1000 */
  retryDelayMs?: number
}

export const DEFAULT_WEBHOOK_OPTIONS = Object.freeze({ timeoutMs: 5000, retryDelayMs: 1000 })

/** Checks a webhook URL before anything runs: http or https, nothing else. */
export function parseWebhookUrl(raw: string): URL {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new CachesyncError('ERR_USAGE', `--webhook ${JSON.stringify(raw)}: not a URL`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CachesyncError('ERR_USAGE', `--webhook ${url.origin}…: must be an http or https URL`)
  return url
}

/**
 * POSTs `payload` as JSON; a network error, a timeout, a 429 or a 5xx is tried once more after
 * `retryDelayMs`. Resolves with what happened; it never rejects.
 */
export async function sendWebhook(url: URL, payload: unknown, options: WebhookOptions = {}): Promise<WebhookResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_OPTIONS.timeoutMs
  const retryDelayMs = options.retryDelayMs ?? DEFAULT_WEBHOOK_OPTIONS.retryDelayMs
  const target = `${url.origin}/…`
  let status: number | undefined
  let error: string | undefined
  for (let attempt = 1; attempt <= 2; attempt++) {
    if (attempt > 1) await sleep(retryDelayMs)
    try {
      status = await postJson(url.href, payload, { timeoutMs, userAgent: `cachesync/${PACKAGE_VERSION}` })
      error = undefined
      if (status >= 200 && status < 300) return { ok: true, target, attempts: attempt, status, error: undefined }
      error = `HTTP ${status}`
      if (status !== 429 && status < 500) return { ok: false, target, attempts: attempt, status, error }
    } catch (err) {
      status = undefined
      error = describe(err, timeoutMs)
    }
  }
  return { ok: false, target, attempts: 2, status, error }
}

function describe(err: unknown, timeoutMs: number): string {
  const name = (err as { name?: unknown })?.name
  if (name === 'TimeoutError' || name === 'AbortError') return `no answer within ${timeoutMs} ms`
  const code = (err as { code?: unknown })?.code
  const message = (err as Error)?.message ?? String(err)
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message
}

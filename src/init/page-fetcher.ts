import type { Readable } from 'node:stream'
import { DEFAULT_WARM, type ResolvedRetry } from '../config/resolve-warm.js'
import { CachesyncError, HttpStatusError } from '../util/errors.js'
import { PACKAGE_VERSION } from '../util/package-version.js'
import { createTaskLimiter } from '../util/task-limiter.js'
import { CircuitBreakers } from '../warm/circuit-breaker.js'
import { HostPacer, realSleep, type Sleep } from '../warm/host-pacer.js'
import { createHttpClient, type HttpClient, type HttpResponse } from '../warm/http-client.js'
import { extractRecords } from '../warm/json-records.js'
import { type FetchGuards, fetchWithRetries } from '../warm/resilient-fetch.js'
import { parseRetryAfter } from '../warm/retry-policy.js'
import { maskSourceUrl, userInfoAuth } from '../warm/source-auth.js'

/** A page fetched whole and parsed. */
export interface JsonPage {
  readonly body: unknown
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>
}

/** The requests `init` makes: the first page whole, then probes of which only the first records are read. */
export interface PageFetcher {
  /** The body of `url` parsed as JSON; throws ERR_HTTP_STATUS, ERR_PARSE, ERR_NETWORK… naming the URL. */
  json(url: URL): Promise<JsonPage>
  /**
   * Up to `max` records of the array at `recordsPath` of `url`'s body, each as JSON text; the rest of the body
   * is not read. Undefined when the response is no such page (an error status, a body without that array).
   */
  records(url: URL, recordsPath: readonly string[], max: number): Promise<string[] | undefined>
  close(): Promise<void>
}

/** Options of {@link createPageFetcher}; all optional. */
export interface PageFetcherOptions {
  /** @default DEFAULT_INIT_FETCH.retry */
  retry?: ResolvedRetry
  /** @default 30 s */
  headersTimeoutMs?: number
  /** @default 60 s */
  bodyTimeoutMs?: number
  /** A first page larger than this is refused. @default 256 MiB */
  maxBodyBytes?: number
  /** @default undici, with the timeouts above */
  client?: HttpClient
  /** @default setTimeout */
  sleep?: Sleep
}

/** Fewer and shorter retries than a warm's: someone is waiting at the terminal. */
export const DEFAULT_INIT_FETCH = Object.freeze({
  retry: Object.freeze({ ...DEFAULT_WARM.retry, attempts: 3, initialDelayMs: 500, maxDelayMs: 5000 }),
  headersTimeoutMs: DEFAULT_WARM.headersTimeoutMs,
  bodyTimeoutMs: DEFAULT_WARM.bodyTimeoutMs,
  maxBodyBytes: 256 * 1024 * 1024,
})

/** Thrown by the probe's sink once it has the records it wants: the body is then left unread. */
const ENOUGH = Symbol('enough records')

/** The warm's HTTP client and retry loop (timeouts, backoff, Retry-After, the circuit breaker), for `init`. */
export function createPageFetcher(options: PageFetcherOptions = {}): PageFetcher {
  const headersTimeoutMs = options.headersTimeoutMs ?? DEFAULT_INIT_FETCH.headersTimeoutMs
  const bodyTimeoutMs = options.bodyTimeoutMs ?? DEFAULT_INIT_FETCH.bodyTimeoutMs
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_INIT_FETCH.maxBodyBytes
  const client = options.client ?? createHttpClient({ userAgent: `cachesync/${PACKAGE_VERSION}`, headersTimeoutMs, bodyTimeoutMs, connections: 1 })
  const sleep = options.sleep ?? realSleep
  const guards: FetchGuards = {
    retry: options.retry ?? DEFAULT_INIT_FETCH.retry,
    timeouts: { headersMs: headersTimeoutMs, bodyMs: bodyTimeoutMs },
    breakers: new CircuitBreakers(DEFAULT_WARM.breaker),
    pacer: new HostPacer(undefined, Date.now, sleep),
    limiter: createTaskLimiter(1),
    sleep,
    random: Math.random,
  }

  /** GETs `url` with retries and hands a success response to `read`; an error status throws HttpStatusError. */
  const get = <T>(url: URL, read: (response: HttpResponse) => Promise<T>): Promise<T> => {
    const shown = maskSourceUrl(url)
    const auth = userInfoAuth(url)
    const requestUrl = new URL(url)
    requestUrl.username = ''
    requestUrl.password = ''
    return fetchWithRetries(
      guards,
      url.host,
      shown,
      async () => {
        const response = await client.get(requestUrl, { headers: auth?.headers ?? {}, followRedirects: true })
        if (response.status < 200 || response.status > 299) {
          await response.discard()
          const retryAfter = response.status === 429 || response.status === 503 ? parseRetryAfter(response.headers['retry-after'], Date.now()) : undefined
          throw new HttpStatusError(response.status, shown, retryAfter)
        }
        return read(response)
      },
      () => {},
    )
  }

  return {
    async json(url) {
      const { text, headers } = await get(url, async (response) => ({
        text: await readText(response.body, maxBodyBytes, maskSourceUrl(url)),
        headers: response.headers,
      }))
      try {
        return { body: JSON.parse(text) as unknown, headers }
      } catch {
        const type = headers['content-type'] === undefined ? '' : `${headers['content-type']}, `
        const flat = text.trim().replace(/\s+/g, ' ')
        const start = flat.length > 40 ? `${flat.slice(0, 40)}…` : flat
        throw new CachesyncError(
          'ERR_PARSE',
          `${maskSourceUrl(url)}: the body is not JSON (${type}${start === '' ? 'empty' : `it starts ${JSON.stringify(start)}`})`,
        )
      }
    },
    async records(url, recordsPath, max) {
      try {
        return await get(url, async (response) => {
          const lines: string[] = []
          const sink = {
            full: false,
            flush: async () => {},
            writeRecord(bytes: Buffer) {
              lines.push(bytes.toString())
              if (lines.length >= max) throw ENOUGH
            },
          }
          try {
            await extractRecords(response.body, { recordsPath, sink })
          } catch (err) {
            if (err !== ENOUGH) throw err
          }
          return lines
        })
      } catch (err) {
        const code = (err as { code?: unknown })?.code
        if (code === 'ERR_HTTP_STATUS' || code === 'ERR_PARSE') return undefined
        throw err
      }
    },
    close: () => (options.client === undefined ? client.close() : Promise.resolve()),
  }
}

async function readText(body: Readable, maxBytes: number, shown: string): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > maxBytes) {
      body.destroy()
      throw new CachesyncError('ERR_SOURCE', `${shown}: the body is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB, too large to inspect whole`)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

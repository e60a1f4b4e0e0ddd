import { createRequire } from 'node:module'
import { pipeline, type Readable } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import type * as Undici from 'undici'

/** The slice of an HTTP response the warm stage reads. */
export interface HttpResponse {
  readonly status: number
  /** Header names in lower case; a repeated header joined with `, `. */
  readonly headers: Readonly<Record<string, string>>
  /** The body, decompressed. */
  readonly body: Readable
  /** Reads and drops the body so that the connection can be reused. */
  discard(): Promise<void>
}

export interface HttpRequest {
  readonly headers: Readonly<Record<string, string>>
  readonly signal?: AbortSignal | undefined
  /** Follow up to 5 redirects (credentials in Authorization are dropped when one leaves the origin). */
  readonly followRedirects: boolean
}

/** What the warm stage needs of an HTTP client; tests and other transports can stand in for undici. */
export interface HttpClient {
  get(url: URL, request: HttpRequest): Promise<HttpResponse>
  close(): Promise<void>
}

export interface HttpClientOptions {
  /** Sent as User-Agent. */
  userAgent: string
  headersTimeoutMs: number
  bodyTimeoutMs: number
  /** Connections kept per origin. @default 4 */
  connections?: number
  /** How long an idle connection is kept. @default 10s */
  keepAliveMs?: number
}

/**
 * The undici HTTP client: one keep-alive connection pool per origin, per-request timeouts for the headers and
 * for silence in the body, gzip, deflate and brotli bodies accepted and decompressed as they stream, redirects
 * followed when the caller allows.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { Agent, interceptors, request } = loadUndici()
  const agent = new Agent({
    connections: options.connections ?? 4,
    keepAliveTimeout: options.keepAliveMs ?? 10_000,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
  }).compose(interceptors.redirect({ maxRedirections: 5 }))
  return {
    async get(url, init) {
      const response = await request(url, {
        dispatcher: agent,
        method: 'GET',
        // Read by the redirect interceptor composed above; undici 7's types no longer list it.
        ...({ maxRedirections: init.followRedirects ? 5 : 0 } as object),
        headers: { 'user-agent': options.userAgent, 'accept-encoding': 'gzip, deflate, br', accept: 'application/json', ...init.headers },
        ...(init.signal === undefined ? {} : { signal: init.signal }),
      })
      const headers = flattenHeaders(response.headers)
      return {
        status: response.statusCode,
        headers,
        body: decompressed(response.body, headers['content-encoding']),
        discard: () => response.body.dump({ limit: 1 << 20 }).catch(() => undefined),
      }
    },
    close: () => agent.close(),
  }
}

function flattenHeaders(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(raw)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

function decompressed(body: Readable, encoding: string | undefined): Readable {
  const codings = (encoding ?? '')
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity')
  let stream = body
  // Codings are listed in the order they were applied: undo them last to first.
  for (const coding of codings.reverse()) {
    const decoder =
      coding === 'gzip' || coding === 'x-gzip'
        ? createGunzip()
        : coding === 'deflate'
          ? createInflate()
          : coding === 'br'
            ? createBrotliDecompress()
            : undefined
    if (decoder === undefined) {
      // Destroying an undici body emits an abort error: nobody is left to hear it.
      body.on('error', () => {})
      body.destroy()
      throw new UnsupportedEncodingError(coding)
    }
    stream = pipeline(stream, decoder, () => {})
  }
  return stream
}

/** A Content-Encoding the client did not ask for. */
export class UnsupportedEncodingError extends Error {
  readonly code = 'ERR_UNSUPPORTED_ENCODING'
  constructor(coding: string) {
    super(`unsupported Content-Encoding ${coding}`)
    this.name = 'UnsupportedEncodingError'
  }
}

/**
 * POSTs a JSON body and returns the response status; a network error or a timeout throws. A pool of its
 * own, closed at the end, so that no keep-alive connection holds the process open.
 */
export async function postJson(url: string, body: unknown, options: { timeoutMs: number; userAgent: string }): Promise<number> {
  const { Agent, request } = loadUndici()
  const agent = new Agent({ connections: 1, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, connectTimeout: options.timeoutMs })
  try {
    const response = await request(url, {
      dispatcher: agent,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': options.userAgent },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs),
    })
    await response.body.dump({ limit: 64 * 1024 }).catch(() => undefined)
    return response.statusCode
  } finally {
    await agent.close().catch(() => undefined)
  }
}

/**
 * undici is loaded on first use, not at import: loading it compiles Node's HTTP parser (WebAssembly), and
 * a program that imports cachesync only to sync never needs it.
 */
function loadUndici(): typeof Undici {
  return createRequire(import.meta.url)('undici') as typeof Undici
}

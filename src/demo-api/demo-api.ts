import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Writable } from 'node:stream'
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises'
import { createGzip } from 'node:zlib'
import { type DmrDatasetSource, dmrDataset } from '../generate/dmr-generator.js'
import { ChangingRecords } from './changing-records.js'
import { type DemoFault, FAULT_PARAMS, faultFromQuery } from './demo-faults.js'

/** Options of {@link startDemoApi}; all optional. */
export interface DemoApiOptions {
  /** 0 picks a free port. @default 0 */
  port?: number
  /** Records over the three sources, split as the real data set is. @default 10000 */
  records?: number
  /** @default 1 */
  seed?: number
  /**
   * Serve the data set changed by this fraction (see `cachesync generate --change-rate`); the device list
   * also changes this fraction of its records at the start of every fetch, stamped `updated_at`. @default 0
   */
  changeRate?: number
  /** The fraction of the device list that changes at the start of every fetch. @default changeRate */
  deviceChanges?: number
  /** The clock of the device list's `updated_at`. @default Date.now */
  now?: () => number
  /** Faults by path (`/static/users.json`), as if each request carried them in its query string. */
  faults?: Readonly<Record<string, DemoFault>>
  /** Gzip bodies for clients that accept it. @default false */
  gzip?: boolean
}

/** A request as the demo API saw it: for tests to assert on. */
export interface DemoRequest {
  readonly method: string
  /** Path and query string. */
  readonly url: string
  readonly headers: IncomingHttpHeaders
  readonly status: number
  /** performance.now() when it arrived. */
  readonly at: number
}

/** A running demo API. */
export interface DemoApi {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  /** The last 1000 requests, oldest first. */
  readonly requests: readonly DemoRequest[]
  /** Sets (or with undefined clears) the fault of a path; its request counter starts again. */
  setFault(path: string, fault: DemoFault | undefined): void
  /** Resolves once a response has been cut or stalled as a fault asked: a test's cue to act mid-body. */
  readonly faulted: Promise<void>
  /** The device list (`/v2/device`), which changes and answers `?updated_since=`: change or remove its records by position. */
  readonly devices: Pick<ChangingRecords, 'change' | 'remove'>
  /** Body bytes sent so far, over all responses (before gzip): what a warm cost on the wire. */
  readonly bytesSent: number
  close(): Promise<void>
}

interface Route {
  readonly source: DmrDatasetSource
  /** The object key the records sit under, or undefined for a top-level array. */
  readonly wrapper: string | undefined
  readonly paginated: boolean
  /** The device list: changing records, `?updated_since=`. */
  readonly changing?: ChangingRecords
}

const MAX_LOGGED = 1000
const BATCH_CHARS = 64 * 1024

/**
 * A local stand-in for the DMR APIs, on 127.0.0.1 only: the generated data set at the built-in sources' paths
 * (RadioID `{"rptrs":[…]}` and `{"users":[…]}` dumps, a BrandMeister-style `/v2/device?limit=&offset=` list),
 * bodies streamed as they are generated, ETag / Last-Modified / 304, and switchable faults.
 */
export async function startDemoApi(options: DemoApiOptions = {}): Promise<DemoApi> {
  const seed = options.seed ?? 1
  const records = options.records ?? 10_000
  const changeRate = options.changeRate ?? 0
  const dataset = dmrDataset({ records, seed, changeRate })
  const byName = new Map(dataset.map((source) => [source.name, source]))
  const devices = new ChangingRecords(byName.get('devices') as DmrDatasetSource, {
    changeRate: options.deviceChanges ?? changeRate,
    now: options.now ?? Date.now,
    seed,
  })
  let bytesSent = 0
  const routes = new Map<string, Route>([
    ['/static/rptrs.json', { source: byName.get('rptrs') as DmrDatasetSource, wrapper: 'rptrs', paginated: false }],
    ['/static/users.json', { source: byName.get('users') as DmrDatasetSource, wrapper: 'users', paginated: false }],
    ['/v2/device', { source: byName.get('devices') as DmrDatasetSource, wrapper: undefined, paginated: true, changing: devices }],
  ])
  // Whole seconds, as HTTP dates carry them.
  const lastModified = new Date(Math.floor(Date.now() / 1000) * 1000)
  const faults = new Map<string, DemoFault>(Object.entries(options.faults ?? {}))
  const counters = new Map<string, number>()
  const requests: DemoRequest[] = []
  let signalFaulted: () => void = () => {}
  const faulted = new Promise<void>((resolve) => {
    signalFaulted = resolve
  })

  const server = createServer((req, res) => {
    const log = (status: number): void => {
      requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, status, at: performance.now() })
      if (requests.length > MAX_LOGGED) requests.shift()
    }
    handle(req, res, log).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message })
      else res.destroy()
    })
  })

  async function handle(req: IncomingMessage, res: ServerResponse, log: (status: number) => void): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const route = routes.get(url.pathname)
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      log(405)
      return sendJson(res, 405, { error: 'only GET' })
    }
    if (route === undefined) {
      log(404)
      return sendJson(res, 404, { error: `no such path ${url.pathname}; try /static/rptrs.json, /static/users.json or /v2/device` })
    }
    let fault: DemoFault | undefined
    try {
      fault = activeFault(url)
    } catch (err) {
      log(400)
      return sendJson(res, 400, { error: (err as Error).message })
    }
    if (fault?.hang) {
      log(0)
      return
    }
    if (fault?.status !== undefined) {
      log(fault.status)
      if (fault.retryAfter !== undefined) res.setHeader('retry-after', String(fault.retryAfter))
      return sendJson(res, fault.status, { error: 'injected fault' })
    }
    const since = sinceOf(url)
    if (route.changing !== undefined && since === 'invalid') {
      log(400)
      return sendJson(res, 400, { error: 'updated_since must be an ISO 8601 time' })
    }
    const sinceMs = route.changing === undefined || since === 'invalid' ? undefined : since
    const startsFetch = route.changing !== undefined && (url.searchParams.get('offset') ?? '0') === '0'
    if (startsFetch) route.changing?.fetchStarted()
    const served = route.changing?.positions(sinceMs)
    const total = served?.length ?? route.source.records
    const page = route.paginated ? pageOf(url, total) : { offset: 0, limit: total }
    if (page === undefined) {
      log(400)
      return sendJson(res, 400, { error: 'limit and offset must be non-negative integers' })
    }
    const changes =
      route.changing === undefined || (route.changing.version === 0 && sinceMs === undefined) ? '' : `-v${route.changing.version}-${sinceMs ?? 'all'}`
    const etag = `"${route.source.name}-${seed}-${records}-${changeRate}${changes}${route.paginated ? `-${page.offset}-${page.limit}` : ''}"`
    res.setHeader('etag', etag)
    res.setHeader('last-modified', lastModified.toUTCString())
    res.setHeader('cache-control', 'no-cache')
    // A body fault answers 200 whatever the validators: it plays a server sending a broken new version.
    if (fault === undefined && notModified(req.headers, etag, lastModified)) {
      log(304)
      res.writeHead(304).end()
      return
    }
    const gzip = options.gzip === true && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))
    res.writeHead(200, { 'content-type': 'application/json', ...(gzip ? { 'content-encoding': 'gzip' } : {}) })
    log(200)
    if (req.method === 'HEAD') {
      res.end()
      return
    }
    await sendBody(res, gzip, route, page, fault, served, total)
  }

  function activeFault(url: URL): DemoFault | undefined {
    const fromQuery = faultFromQuery(url.searchParams)
    const fault = fromQuery ?? faults.get(url.pathname)
    if (fault === undefined) return undefined
    const key = fromQuery === undefined ? url.pathname : `${url.pathname}?${FAULT_PARAMS.map((p) => url.searchParams.get(p) ?? '').join('&')}`
    const seen = (counters.get(key) ?? 0) + 1
    counters.set(key, seen)
    return fault.times === undefined || seen <= fault.times ? fault : undefined
  }

  async function sendBody(
    res: ServerResponse,
    gzip: boolean,
    route: Route,
    page: { offset: number; limit: number },
    fault: DemoFault | undefined,
    served: Int32Array | undefined,
    total: number,
  ): Promise<void> {
    const recordAt = (i: number): string => {
      const position = served === undefined ? i : (served[i] as number)
      return route.changing === undefined ? route.source.recordAt(position) : route.changing.recordAt(position)
    }
    let out: Writable = res
    if (gzip) {
      const zip = createGzip({ level: 1 })
      zip.pipe(res)
      out = zip
    }
    let closed = false
    res.on('close', () => {
      closed = true
    })
    const limitBytes = fault?.cutAfter ?? fault?.stallAfter
    let sent = 0
    // Writes text, honouring backpressure; false once the body must stop (a fault fired or the client left).
    const write = async (text: string): Promise<boolean> => {
      if (closed) return false
      let chunk = Buffer.from(text, 'utf8')
      if (limitBytes !== undefined && sent + chunk.length >= limitBytes) {
        chunk = chunk.subarray(0, limitBytes - sent)
        out.write(chunk)
        // Let the bytes reach the client before the fault.
        await sleep(50)
        if (fault?.cutAfter !== undefined) res.destroy()
        signalFaulted()
        return false
      }
      sent += chunk.length
      bytesSent += chunk.length
      if (!out.write(chunk) && !closed) await drained(out, res)
      return !closed
    }
    const end = Math.min(total, page.offset + page.limit)
    const brokenAt = fault?.invalidJson ? page.offset + Math.floor((end - page.offset) / 2) : -1
    let batch = route.wrapper === undefined ? '[' : `{"${route.wrapper}":[`
    for (let position = page.offset; position < end; position++) {
      if (position > page.offset) batch += ','
      batch += position === brokenAt ? '{"id": 1, oops' : recordAt(position)
      if (batch.length >= BATCH_CHARS) {
        if (!(await write(batch))) return
        batch = ''
        // Other responses (and, in-process, the client) get their turn.
        await nextTurn()
      }
    }
    batch += route.wrapper === undefined ? ']' : ']}'
    if (!(await write(batch))) return
    out.end()
  }

  server.listen(options.port ?? 0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    faulted,
    devices,
    get bytesSent() {
      return bytesSent
    },
    setFault(path, fault) {
      if (fault === undefined) faults.delete(path)
      else faults.set(path, fault)
      counters.delete(path)
    },
    async close() {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closing
    },
  }
}

/** `?updated_since=` as milliseconds; undefined when absent. */
function sinceOf(url: URL): number | undefined | 'invalid' {
  const raw = url.searchParams.get('updated_since')
  if (raw === null) return undefined
  const ms = Date.parse(raw)
  return Number.isNaN(ms) ? 'invalid' : ms
}

function pageOf(url: URL, total: number): { offset: number; limit: number } | undefined {
  const read = (name: string, fallback: number): number | undefined => {
    const raw = url.searchParams.get(name)
    if (raw === null) return fallback
    return /^\d+$/.test(raw) ? Number(raw) : undefined
  }
  const offset = read('offset', 0)
  const limit = read('limit', total)
  return offset === undefined || limit === undefined ? undefined : { offset, limit }
}

function notModified(headers: IncomingHttpHeaders, etag: string, lastModified: Date): boolean {
  const ifNoneMatch = headers['if-none-match']
  if (ifNoneMatch !== undefined) return ifNoneMatch.split(',').some((tag) => tag.trim() === etag || tag.trim() === '*')
  const since = Date.parse(String(headers['if-modified-since'] ?? ''))
  return !Number.isNaN(since) && since >= lastModified.getTime()
}

/** Resolves when `out` drains or the response closes, leaving no listener behind. */
function drained(out: Writable, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off('drain', done)
      res.off('close', done)
      resolve()
    }
    out.on('drain', done)
    res.on('close', done)
  })
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

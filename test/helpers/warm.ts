import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { type ResolvedConfig, resolveConfig } from '../../src/config/resolve-config.js'
import { BREAKER_FILE } from '../../src/warm/breaker-file.js'
import { WARM_RECORD_FILE } from '../../src/warm/warm-record.js'

/** Retries in milliseconds, no jitter: what the warm tests use unless they test the defaults. */
export const FAST_RETRY = { attempts: 3, initialDelay: 5, maxDelay: 40, factor: 2, jitter: 0 } as const

/** Writes a JSON configuration file into `dir` and resolves it with `cacheDir`, no environment leaking in. */
export function warmConfig(dir: string, file: Record<string, unknown>, flags: Record<string, unknown> = {}): ResolvedConfig {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(path, JSON.stringify(file))
  return resolveConfig({ env: {}, configFile: path, flags: { cacheDir: join(dir, 'cache'), ...flags } })
}

/** A sleep that returns at once and remembers what it was asked to wait. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = []
  return {
    delays,
    sleep: async (ms: number) => {
      delays.push(ms)
    },
  }
}

export interface TestServer {
  readonly url: string
  /** Path and query of every request, in order. */
  readonly requests: { url: string; headers: IncomingMessage['headers']; at: number }[]
  close(): Promise<void>
}

/** A node:http server on 127.0.0.1:0 running `handler`, recording the requests. */
export async function startServer(handler: (req: IncomingMessage, res: ServerResponse, url: URL) => void): Promise<TestServer> {
  const requests: TestServer['requests'] = []
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '/', headers: req.headers, at: performance.now() })
    handler(req, res, new URL(req.url ?? '/', 'http://127.0.0.1'))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/**
 * `{ name: sha256 }` of every file in a directory: to show that nothing in it changed. The warm record
 * (`.cachesync-warm.json`, each source's last warm outcome) is left out: every warm rewrites it, and it
 * is bookkeeping, not cache; so is each host's circuit breaker (`.cachesync-breakers.json`).
 */
export function snapshotDir(dir: string): Record<string, string> {
  if (!existsSync(dir)) return {}
  return Object.fromEntries(
    readdirSync(dir)
      .filter((name) => name !== WARM_RECORD_FILE && name !== BREAKER_FILE)
      .sort()
      .map((name) => [
        name,
        createHash('sha256')
          .update(readFileSync(join(dir, name)))
          .digest('hex'),
      ]),
  )
}

/** The records of an NDJSON cache file. */
export function readNdjson(path: string): unknown[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line))
}

/** A source of the test servers' shape: records under `items`, key `id`. */
export function itemsSource(name: string, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, url, recordsPath: 'items', key: 'id', ...extra }
}

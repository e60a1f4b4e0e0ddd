import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readCacheMeta } from '../../src/cache/cache-meta.js'
import { openLineIndex } from '../../src/cache/line-index-reader.js'
import { type DemoApi, startDemoApi } from '../../src/demo-api/demo-api.js'
import { loadRowHash } from '../../src/util/row-hash.js'
import { finished, runCli, spawnCli } from '../helpers/run-cli.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { snapshotDir } from '../helpers/warm.js'

const dir = useTempDir()
let api: DemoApi

beforeAll(async () => {
  await loadRowHash()
  api = await startDemoApi({ records: 20_000 })
})
afterAll(() => api.close())

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (condition()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`gave up waiting for ${what}`)
}

async function indexMatches(path: string): Promise<boolean> {
  const found = openLineIndex({ path, format: 'ndjson', gzip: false, bytes: statSync(path).size, meta: await readCacheMeta(path) })
  return found !== undefined && !('ignored' in found)
}

const tempFiles = (cacheDir: string): string[] => readdirSync(cacheDir).filter((name) => name.endsWith('.warm.tmp'))

describe('a warm killed in the middle of a body', () => {
  it('leaves the good cache file and meta in place, no partial file under their names; the next warm cleans up', async () => {
    const cacheDir = join(dir(), 'cache')
    const args = ['warm', '--base-url', api.url, '--cache-dir', cacheDir, '--source', 'users', '--json', '--log-level', 'warn']
    const first = await runCli(args)
    expect(first.code, first.stderr).toBe(0)
    const good = snapshotDir(cacheDir)
    expect(Object.keys(good)).toEqual(['users.meta.json', 'users.ndjson', 'users.ndjson.lines'])

    // The server sends 3 MB of the ~6.5 MB body (more than the writer buffers), then nothing: the warm is mid-body.
    api.setFault('/static/users.json', { stallAfter: 3_000_000 })
    const child = spawnCli(args)
    const done = finished(child)
    await api.faulted
    await until(() => tempFiles(cacheDir).some((name) => statSync(join(cacheDir, name)).size > 0), 'a partly written temp file')
    child.kill('SIGKILL')
    const killed = await done
    expect(killed.signal).toBe('SIGKILL')

    const after = snapshotDir(cacheDir)
    expect(after['users.ndjson']).toBe(good['users.ndjson'])
    expect(after['users.meta.json']).toBe(good['users.meta.json'])
    // The line index left is the good file's, and matches it: nothing the killed warm wrote is trusted.
    expect(after['users.ndjson.lines']).toBe(good['users.ndjson.lines'])
    expect(await indexMatches(join(cacheDir, 'users.ndjson'))).toBe(true)
    // What the killed process left: its temp file (under another name) and its lock, nothing else.
    expect(Object.keys(after).filter((name) => !(name in good))).toEqual(['.cachesync-warm.lock', tempFiles(cacheDir)[0]])

    api.setFault('/static/users.json', undefined)
    const next = await runCli(args)
    expect(next.code, next.stderr).toBe(0)
    expect(JSON.parse(next.stdout).sources[0]).toMatchObject({ name: 'users', outcome: 'not-modified', records: 16_847 })
    expect(Object.keys(snapshotDir(cacheDir))).toEqual(['users.meta.json', 'users.ndjson', 'users.ndjson.lines'])
    expect(snapshotDir(cacheDir)['users.ndjson']).toBe(good['users.ndjson'])
  })
})

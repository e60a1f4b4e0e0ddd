import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DemoApi, startDemoApi } from '../../src/demo-api/demo-api.js'
import { finished, runCli, spawnCli } from '../helpers/run-cli.js'
import { requireTools } from '../helpers/system-tools.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

/**
 * A warm SIGKILLed after its delta file is durably in place but before its cursor is saved. A named pipe
 * where the delta's meta file is written next holds the process at exactly that point (opening a pipe to
 * write waits for a reader). The delta it left is not the state's: the sync ignores it, the next warm
 * removes it and fetches the same changes again from the old cursor, and the sync applies them once.
 */

const START = Date.UTC(2026, 5, 1)
const CHANGED = Array.from({ length: 600 }, (_, i) => i)

interface DeltaState {
  cursor: string
  deltas: { file: string; records: number }[]
}

describe.each(SINK_KINDS)('a warm killed between its delta and its cursor, %s sink', (kind) => {
  describe('', { ...requireSink(kind), ...requireTools('mkfifo') }, () => {
    const tmp = useTempDir()
    const db = useTestSink(kind, tmp)
    let api: DemoApi
    let clock = START

    beforeAll(async () => {
      api = await startDemoApi({ records: 10_000, now: () => clock })
    })
    afterAll(() => api?.close())

    const cacheDir = (): string => join(tmp(), 'cache')
    const deltaDir = (): string => join(cacheDir(), '.cachesync-deltas', 'devices')
    const state = (): DeltaState => JSON.parse(readFileSync(join(deltaDir(), 'state.json'), 'utf8')) as DeltaState
    const configFile = (): string => {
      const path = join(tmp(), 'devices.json')
      const source = {
        name: 'devices',
        url: `${api.url}/v2/device`,
        // Small pages: the delta takes many requests, time to lay the pipe once the first is seen.
        pagination: { style: 'offset', limitMax: 10 },
        key: 'id',
        columns: { id: 'integer', last_seen: 'text' },
        incremental: { param: 'updated_since', field: 'updated_at', lag: '0s' },
      }
      writeFileSync(path, JSON.stringify({ sources: [source] }))
      return path
    }
    const warmArgs = (): string[] => ['warm', '--config', configFile(), '--cache-dir', cacheDir(), '--json', '--log-level', 'warn', '--no-progress']
    async function sync(database: TestDatabase): Promise<{ state: string; records: Record<string, number> }> {
      const run = await runCli(
        ['sync', '--config', configFile(), '--cache-dir', cacheDir(), ...database.args, '--mode', 'sequential', '--json', '--no-progress'],
        database.env,
      )
      expect(run.code, run.stderr).toBe(0)
      return (JSON.parse(run.stdout) as { sources: { state: string; records: Record<string, number> }[] }).sources[0] as {
        state: string
        records: Record<string, number>
      }
    }

    it('loses nothing and applies nothing twice', async () => {
      const database = db('killed_warm')
      const full = await runCli(warmArgs())
      expect(full.code, full.stderr).toBe(0)
      expect(await sync(database)).toMatchObject({ state: 'synced' })
      const before = state()

      clock += 60_000
      api.devices.change(CHANGED)
      const seen = api.requests.length
      const child = spawnCli(warmArgs())
      const done = finished(child)
      // The delta is being fetched: the next thing after its rename is its meta file, through this pipe.
      while (!api.requests.slice(seen).some((r) => r.url.includes('updated_since'))) await new Promise((resolve) => setTimeout(resolve, 2))
      const pipe = join(deltaDir(), `.delta-00000001.meta.json.${child.pid}.tmp`)
      execFileSync('mkfifo', [pipe])
      while (!existsSync(join(deltaDir(), 'delta-00000001.ndjson')) && child.exitCode === null) await new Promise((resolve) => setTimeout(resolve, 5))
      child.kill('SIGKILL')
      const killed = await done
      expect(killed.signal, killed.stderr + killed.stdout).toBe('SIGKILL')

      // The delta is on disk, its cursor is not saved: the state is as before the warm.
      expect(readFileSync(join(deltaDir(), 'delta-00000001.ndjson'), 'utf8').split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(CHANGED.length)
      expect(state()).toEqual(before)
      // The sync does not take the delta the state does not name.
      expect(await sync(database)).toMatchObject({ state: 'unchanged' })

      // The next warm removes the leftovers and asks again from the old cursor.
      const again = await runCli(warmArgs())
      expect(again.code, again.stderr).toBe(0)
      const delta = state().deltas
      expect(delta).toHaveLength(1)
      expect(delta[0]?.records).toBe(CHANGED.length + 1)
      // The delta keeps its meta file and its line index; the leftovers of the killed warm are gone.
      expect(readdirSync(deltaDir()).sort()).toEqual(['delta-00000001.meta.json', 'delta-00000001.ndjson', 'delta-00000001.ndjson.lines', 'state.json'])
      expect(state().cursor).toBe(new Date(clock).toISOString())

      // Every change applied, once: the boundary record of the full fetch met again is unchanged.
      expect(await sync(database)).toMatchObject({ state: 'synced', records: { read: CHANGED.length + 1, updated: CHANGED.length, unchanged: 1 } })
      const stamp = new Date(clock).toISOString().slice(0, 19).replace('T', ' ')
      expect(Number(database.query<{ n: unknown }>(`SELECT count(*) AS n FROM devices WHERE last_seen = '${stamp}'`)[0]?.n)).toBe(CHANGED.length)
      expect(await sync(database)).toMatchObject({ state: 'unchanged' })
    })
  })
})

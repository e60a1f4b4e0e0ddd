/**
 * What `sync --watch` costs when nothing changed, and how fast a SIGTERM stops a sync, on a generated cache.
 *
 *   npm run bench:watch -- [--records 200000] [--repeat 5] [--work DIR]
 *
 * 1. Skips, after a first sync: a watch cycle that finds the cache as it loaded it (stat and meta of each
 *    cache file, the database not opened); `runSync` in process on the unchanged cache (it opens the database,
 *    takes the lock, compares each file's sha256 from its meta with the last sync's); a `cachesync sync`
 *    process on the unchanged cache (what a cron tick costs, Node's start-up included).
 * 2. Stops, per mode: a sync of the whole cache into a fresh database, SIGTERM once its first chunk is
 *    committed, timed from the signal to the process's exit.
 * Prints a Markdown table.
 */
import { spawn, spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import Database from 'better-sqlite3'
import { resolveConfig } from '../src/config/resolve-config.js'
import { runSync } from '../src/engine/sync.js'
import { generateDmrCache } from '../src/generate/dmr-generator.js'
import { runWatch } from '../src/watch/run-watch.js'
import { machine } from './bench-support.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const cli = join(root, 'bin', 'cachesync.js')
const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    repeat: { type: 'string', default: '5' },
    work: { type: 'string', default: '/tmp/cachesync-bench-watch' },
  },
})
const records = Number(values.records)
const repeat = Number(values.repeat)
const work = resolve(values.work)
const cacheDir = join(work, 'cache')
const db = join(work, 'synced.db')

const mid = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN
const fmt = (xs: number[]): string => `${mid(xs).toFixed(1)} ms (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`

rmSync(work, { recursive: true, force: true })
await generateDmrCache({ records, cacheDir, seed: 1 })
const first = spawnSync(process.execPath, [cli, 'sync', '--db', db, '--cache-dir', cacheDir, '--log-level', 'silent'])
if (first.status !== 0) throw new Error(`first sync failed: ${first.stderr}`)
const config = resolveConfig({ env: {}, flags: { db, cacheDir } })

const watchSkips: number[] = []
await runWatch(config, {
  warm: false,
  intervalMs: 60_000,
  maxCycles: repeat + 1,
  sleep: async () => {},
  onCycle: (cycle) => {
    if (cycle.sync.kind === 'skipped') watchSkips.push(cycle.ms)
  },
})
const syncSkips: number[] = []
for (let i = 0; i < repeat; i++) {
  const started = performance.now()
  const report = await runSync(config)
  if (report.sources.some((s) => s.state !== 'unchanged')) throw new Error('the cache changed under the benchmark')
  syncSkips.push(performance.now() - started)
}
const processSkips: number[] = []
for (let i = 0; i < repeat; i++) {
  const started = performance.now()
  spawnSync(process.execPath, [cli, 'sync', '--db', db, '--cache-dir', cacheDir, '--log-level', 'silent'])
  processSkips.push(performance.now() - started)
}

const stops = new Map<string, { ms: number; committed: number }[]>()
for (const mode of ['streaming', 'parallel', 'sequential']) {
  for (let i = 0; i < Math.max(1, Math.ceil(repeat / 2)); i++) {
    const target = join(work, `stop-${mode}-${i}.db`)
    const child = spawn(process.execPath, [cli, 'sync', '--mode', mode, '--chunk', '2000', '--db', target, '--cache-dir', cacheDir, '--log-level', 'silent'], {
      stdio: 'ignore',
    })
    let running = true
    const exited = new Promise<void>((done) =>
      child.on('exit', () => {
        running = false
        done()
      }),
    )
    while (running && committed(target) === 0) await new Promise((r) => setTimeout(r, 5))
    if (!running) throw new Error(`the ${mode} sync ended before its first commit was seen: use more --records`)
    const signalled = performance.now()
    child.kill('SIGTERM')
    await exited
    const ms = performance.now() - signalled
    stops.set(mode, [...(stops.get(mode) ?? []), { ms, committed: committed(target) }])
  }
}

function committed(path: string): number {
  try {
    const conn = new Database(path, { readonly: true, fileMustExist: true })
    try {
      return conn.prepare('SELECT coalesce(sum(records_done), 0) FROM sync_checkpoints').pluck().get() as number
    } finally {
      conn.close()
    }
  } catch {
    return 0
  }
}

const m = machine()
console.log(`${records.toLocaleString('en-US')} records, ${m.cores} cores, ${m.cpu}, Node ${m.node}, ${m.date}\n`)
console.log('| nothing changed | median (min–max) |\n|---|---|')
console.log(`| watch cycle, skipped (no database opened) | ${fmt(watchSkips)} |`)
console.log(`| runSync in process, every source unchanged | ${fmt(syncSkips)} |`)
console.log(`| \`cachesync sync\` process, every source unchanged | ${fmt(processSkips)} |`)
console.log('\n| SIGTERM mid-sync | signal to exit, median (min–max) | records committed at exit |\n|---|---|---|')
for (const [mode, runs] of stops) {
  console.log(`| ${mode} | ${fmt(runs.map((r) => r.ms))} | ${runs.map((r) => r.committed.toLocaleString('en-US')).join(', ')} |`)
}

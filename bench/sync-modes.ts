/**
 * End-to-end sync benchmark: each configuration in its own process (so peak RSS is its own), timed
 * from the outside, against the plain single-thread loader on the same cache in the same sitting.
 *
 *   npm run build && node dist/bench/sync-modes.js [--records 1000000] [--repeat 3] [--work DIR]
 *
 * Prints Markdown tables; writes them with the raw runs to bench/results/sync-modes-<date>.{md,json}.
 */
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { generateDmrCache } from '../src/index.js'
import { sqliteVersion } from '../src/sink/sqlite-driver.js'
import { machine, median } from './bench-support.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const cli = join(root, 'bin', 'cachesync.js')
const plainLoader = resolve(root, '..', 'shared', 'tools', 'plain-loader.cjs')

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    repeat: { type: 'string', default: '3' },
    work: { type: 'string', default: '/tmp/cachesync-bench' },
    out: { type: 'string', default: join(root, 'bench', 'results') },
  },
})
const records = Number(values.records)
const repeat = Number(values.repeat)
const work = resolve(values.work)

interface Sample {
  wallMs: number
  rssMb: number
  recordsPerSec: number
  phases?: Record<string, number>
}

function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Sample {
  const started = performance.now()
  const child = spawnSync(process.execPath, [cli, ...args, '--json', '--log-level', 'warn', '--no-progress'], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  })
  const wallMs = performance.now() - started
  if (child.status !== 0) throw new Error(`cachesync ${args.join(' ')} failed (${child.status}): ${child.stderr}`)
  const report = JSON.parse(child.stdout) as { peakRssMb: number; records: { read: number }; phases: Record<string, number> }
  return { wallMs, rssMb: report.peakRssMb, recordsPerSec: (report.records.read / wallMs) * 1000, phases: report.phases }
}

function runPlain(cacheDir: string, db: string): Sample {
  const started = performance.now()
  const child = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, plainLoader, root, cacheDir, db], { encoding: 'utf8' })
  const wallMs = performance.now() - started
  if (child.status !== 0) throw new Error(`plain loader failed: ${child.stderr}`)
  const rssKb = Number(child.stderr.trim().split('\n').pop())
  return { wallMs, rssMb: Math.round(rssKb / 1024), recordsPerSec: (records / wallMs) * 1000 }
}

function freshDb(name: string): string {
  const db = join(work, 'db', `${name}.db`)
  for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true })
  return db
}

async function main(): Promise<void> {
  mkdirSync(join(work, 'db'), { recursive: true })
  const base = join(work, `cache-${records}`)
  const changed = join(work, `cache-${records}-changed`)
  if (!existsSync(join(base, 'users.ndjson'))) await generateDmrCache({ records, cacheDir: base, seed: 1 })
  if (!existsSync(join(changed, 'users.ndjson'))) await generateDmrCache({ records, cacheDir: changed, seed: 1, changeRate: 0.01 })
  const results: Record<string, ReturnType<typeof median<Sample>>> = {}
  const all: Record<string, Sample[]> = {}
  const measure = (name: string, once: () => Sample): void => {
    all[name] = Array.from({ length: repeat }, once)
    results[name] = median(all[name] as Sample[])
    const r = results[name] as Sample
    process.stderr.write(`${name}: ${(r.wallMs / 1000).toFixed(2)} s, ${Math.round(r.recordsPerSec)} rec/s, ${r.rssMb} MB\n`)
  }
  // Interleaving the baseline with our modes keeps a noisy neighbour from favouring either side.
  measure('plain loader', () => runPlain(base, freshDb('plain')))
  measure('parallel', () => runCli(['sync', '--mode', 'parallel', '--cache-dir', base, '--db', freshDb('parallel')]))
  measure('sequential', () => runCli(['sync', '--mode', 'sequential', '--cache-dir', base, '--db', freshDb('sequential')]))
  for (const chunk of [500, 1000, 2000, 5000]) {
    measure(`streaming ${chunk}`, () =>
      runCli(['sync', '--mode', 'streaming', '--chunk', String(chunk), '--cache-dir', base, '--db', freshDb(`streaming-${chunk}`)]),
    )
  }
  const small = join(work, 'cache-100000')
  if (!existsSync(join(small, 'users.ndjson'))) await generateDmrCache({ records: 100_000, cacheDir: small, seed: 1 })
  measure('streaming 2000 at 100k', () => runCli(['sync', '--mode', 'streaming', '--chunk', '2000', '--cache-dir', small, '--db', freshDb('streaming-small')]))
  const synced = join(work, 'db', 'parallel.db')
  runCli(['sync', '--mode', 'parallel', '--cache-dir', base, '--db', freshDb('parallel')])
  measure('re-sync unchanged (parallel)', () => runCli(['sync', '--mode', 'parallel', '--cache-dir', base, '--db', synced]))
  measure('re-sync 1 % changed (parallel)', () => {
    const db = freshDb('changed')
    copyFileSync(synced, db)
    return runCli(['sync', '--mode', 'parallel', '--cache-dir', changed, '--db', db])
  })
  measure('re-sync 1 % changed (streaming 2000)', () => {
    const db = freshDb('changed')
    copyFileSync(synced, db)
    return runCli(['sync', '--mode', 'streaming', '--chunk', '2000', '--cache-dir', changed, '--db', db])
  })
  const markdown = report(results)
  process.stdout.write(`${markdown}\n`)
  mkdirSync(values.out as string, { recursive: true })
  const stamp = new Date().toISOString().slice(0, 10)
  writeFileSync(join(values.out as string, `sync-modes-${stamp}.md`), `${markdown}\n`)
  writeFileSync(
    join(values.out as string, `sync-modes-${stamp}.json`),
    `${JSON.stringify({ machine: { ...machine(), sqlite: sqliteVersion() }, records, repeat, results, samples: all }, null, 2)}\n`,
  )
}

function report(results: Record<string, ReturnType<typeof median<Sample>>>): string {
  const plain = results['plain loader'] as Sample
  const rows = Object.entries(results).map(([name, r]) => {
    const ratio = name.startsWith('re-sync') ? '' : `${(r.recordsPerSec / plain.recordsPerSec).toFixed(2)}×`
    return `| ${name} | ${(r.wallMs / 1000).toFixed(2)} s (${(r.minWall / 1000).toFixed(2)}–${(r.maxWall / 1000).toFixed(2)}) | ${r.rssMb} MB | ${Math.round(r.recordsPerSec).toLocaleString('en-US')} | ${ratio} |`
  })
  const m = { ...machine(), sqlite: sqliteVersion() }
  return [
    `${records.toLocaleString('en-US')} records, median of ${repeat}, whole process timed from outside; ${m.cores} cores, ${m.cpu}, Node ${m.node}, SQLite ${m.sqlite}, ${m.date}`,
    '',
    '| run | wall (min–max) | peak RSS | records/s | vs plain loader |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n')
}

await main()

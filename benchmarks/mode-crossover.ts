/**
 * Where parallel mode starts to pay: a first sync of the generated DMR set at several sizes, each mode a
 * fresh whole process timed from outside, the modes alternating within each round so that they share the
 * machine's moods. `auto` picks from this table for small caches (src/engine/choose-mode.ts).
 *
 *   npm run bench:crossover -- [--sizes 5000,20000,50000,100000,200000,400000] [--repeat 5] [--work DIR]
 *
 * Prints a Markdown table (median wall time per mode, the fastest in bold, the cache size) and writes it
 * with the raw runs to benchmarks/results/mode-crossover-<date>.{md,json}.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { generateDmrCache } from '../src/generate/dmr-generator.js'
import { formatBytes, formatDuration, formatInt } from '../src/util/format.js'
import { machine } from './bench-support.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const cli = join(root, 'bin', 'cachesync.js')
/** `auto` last: what the machine's memory and the cache's size make it pick, against the three it picks from. */
const MODES = ['parallel', 'sequential', 'streaming', 'auto'] as const
type Mode = (typeof MODES)[number]
const FIXED = MODES.filter((m) => m !== 'auto')

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '5000,20000,50000,100000,200000,400000' },
    repeat: { type: 'string', default: '5' },
    work: { type: 'string', default: '/tmp/cachesync-bench-crossover' },
    out: { type: 'string', default: join(root, 'benchmarks', 'results') },
  },
})
const sizes = (values.sizes as string).split(',').map(Number)
const repeat = Number(values.repeat)
const work = resolve(values.work as string)

interface SizeResult {
  records: number
  cacheBytes: number
  wallMs: Record<Mode, number[]>
  /** The mode `auto` ran, from its `--json` report. */
  autoPicked: string
}

/** Runs the CLI to its end; its wall time, and its stdout. */
function timed(args: string[]): Promise<{ ms: number; stdout: string }> {
  const started = performance.now()
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (text: Buffer) => {
    stdout += text.toString()
  })
  child.stderr.on('data', (text: Buffer) => {
    stderr += text.toString()
  })
  return new Promise((done, fail) => {
    child.on('close', (code) => {
      if (code !== 0) fail(new Error(`cachesync ${args.join(' ')} failed (${code}): ${stderr}`))
      else done({ ms: performance.now() - started, stdout })
    })
  })
}

const medianOf = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

async function measure(records: number): Promise<SizeResult> {
  const cache = join(work, `cache-${records}`)
  if (!existsSync(join(cache, '.complete'))) {
    rmSync(cache, { recursive: true, force: true })
    await generateDmrCache({ records, cacheDir: cache, seed: 1, changeRate: 0 })
    writeFileSync(join(cache, '.complete'), '')
  }
  const cacheBytes = readdirSync(cache)
    .filter((f) => f.endsWith('.ndjson'))
    .reduce((sum, f) => sum + statSync(join(cache, f)).size, 0)
  const wallMs = { parallel: [], sequential: [], streaming: [], auto: [] } as Record<Mode, number[]>
  let autoPicked = ''
  for (let round = 0; round < repeat; round++) {
    // Rotate the order each round: no mode always runs first, after a cold page cache or a busy neighbour.
    for (let i = 0; i < MODES.length; i++) {
      const mode = MODES[(round + i) % MODES.length] as Mode
      const db = join(work, `${mode}.db`)
      for (const suffix of ['', '-wal', '-shm', '.live']) rmSync(db + suffix, { recursive: true, force: true })
      const run = await timed([
        'sync',
        '--cache-dir',
        cache,
        '--db',
        db,
        '--mode',
        mode,
        '--no-progress',
        '--log-level',
        'warn',
        ...(mode === 'auto' ? ['--json'] : []),
      ])
      wallMs[mode].push(run.ms)
      if (mode === 'auto') autoPicked = (JSON.parse(run.stdout) as { mode: string }).mode
    }
  }
  process.stderr.write(`${formatInt(records)}: ${MODES.map((m) => `${m} ${formatDuration(medianOf(wallMs[m]))}`).join(', ')}\n`)
  return { records, cacheBytes, wallMs, autoPicked }
}

function report(results: readonly SizeResult[]): string {
  const m = machine()
  const rows = results.map((r) => {
    const medians = FIXED.map((mode) => medianOf(r.wallMs[mode]))
    const best = Math.min(...medians)
    const cells = medians.map((ms) => (ms === best ? `**${formatDuration(ms)}**` : formatDuration(ms)))
    const against = (ms: number): string => (ms === best ? '—' : `${(ms / best).toFixed(2)}×`)
    const auto = medianOf(r.wallMs.auto)
    return `| ${formatInt(r.records)} | ${formatBytes(r.cacheBytes)} | ${cells.join(' | ')} | ${against(medians[0] as number)} | ${formatDuration(auto)} (${r.autoPicked}) | ${(auto / best).toFixed(2)}× |`
  })
  return [
    `First sync into a fresh SQLite database, whole process; median of ${repeat} alternating runs per mode; ${m.cores} cores, ${m.cpu}, Node ${m.node}, ${m.date}`,
    '',
    '| records | cache | parallel | sequential | streaming | parallel against the fastest | auto (its pick) | auto against the fastest |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n')
}

async function main(): Promise<void> {
  mkdirSync(work, { recursive: true })
  const results: SizeResult[] = []
  for (const records of sizes) results.push(await measure(records))
  const markdown = report(results)
  process.stdout.write(`${markdown}\n`)
  mkdirSync(values.out as string, { recursive: true })
  const stamp = new Date().toISOString().slice(0, 10)
  writeFileSync(join(values.out as string, `mode-crossover-${stamp}.md`), `${markdown}\n`)
  writeFileSync(join(values.out as string, `mode-crossover-${stamp}.json`), `${JSON.stringify({ machine: machine(), repeat, results }, null, 2)}\n`)
}

await main()

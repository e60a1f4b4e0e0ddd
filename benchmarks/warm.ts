/**
 * End-to-end warm benchmark against the local demo API, each run in its own process (so peak RSS is its own),
 * timed from the outside; the demo API runs in a process of its own too.
 *
 *   npm run bench:warm -- [--records 1000000] [--big-mb 1000] [--repeat 1] [--work DIR]
 *
 * 1. `cachesync warm` of every source of a --records data set (two RadioID-style dumps, a paginated device list);
 * 2. the same again: the dumps answer 304, the device pages are fetched again;
 * 3. one users dump of about --big-mb MB in a single body, to show that memory does not grow with the body;
 * 4. for comparison, the naive way on the users dump of step 1: `await (await fetch(url)).json()`, then write.
 * Prints a Markdown table; writes it with the raw runs to benchmarks/results/warm-<date>.{md,json}.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { formatBytes, formatDuration, formatInt, formatMiB } from '../src/util/format.js'
import { machine, median } from './bench-support.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const cli = join(root, 'bin', 'cachesync.js')

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    'big-mb': { type: 'string', default: '1000' },
    repeat: { type: 'string', default: '1' },
    work: { type: 'string', default: '/tmp/cachesync-bench-warm' },
    out: { type: 'string', default: join(root, 'benchmarks', 'results') },
  },
})
const records = Number(values.records)
const bigMb = Number(values['big-mb'])
const repeat = Number(values.repeat)
const work = resolve(values.work)
/** Bytes of a generated users record in the NDJSON cache, measured on the data set (about 385). */
const USERS_BYTES_PER_RECORD = 385
/** The users' share of the data set (233,000 of 276,600). */
const USERS_SHARE = 233_000 / 276_600

interface Sample {
  wallMs: number
  rssMb: number
  records: number
  bytes: number
  outcomes: string
}

async function startServer(count: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [cli, 'serve-demo', '--port', '0', '--records', String(count)], { stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise<string>((done, fail) => {
    let out = ''
    child.stdout?.on('data', (text: Buffer) => {
      out += text.toString()
      const match = /listening on (http:\/\/\S+)/.exec(out)
      if (match?.[1] !== undefined) done(match[1])
    })
    child.on('exit', (code) => fail(new Error(`serve-demo exited with ${code}: ${out}`)))
  })
  return { url, child }
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    child.once('exit', () => done())
    child.kill('SIGTERM')
  })
}

function runWarm(args: string[]): Sample {
  const started = performance.now()
  const child = spawnSync(process.execPath, [cli, 'warm', ...args, '--json', '--log-level', 'warn', '--no-progress'], { encoding: 'utf8' })
  const wallMs = performance.now() - started
  if (child.status !== 0) throw new Error(`cachesync warm ${args.join(' ')} failed (${child.status}): ${child.stderr}\n${child.stdout}`)
  const report = JSON.parse(child.stdout) as { peakRssMb: number; sources: { outcome: string; records: number; bytes: number }[] }
  // What this run fetched: a not-modified or fresh source's records are the cache's, not the run's work.
  const sum = (key: 'records' | 'bytes'): number => report.sources.reduce((total, s) => total + (s.outcome === 'fetched' ? s[key] : 0), 0)
  return { wallMs, rssMb: report.peakRssMb, records: sum('records'), bytes: sum('bytes'), outcomes: report.sources.map((s) => s.outcome).join(', ') }
}

/** The naive way, for comparison: the whole body parsed at once, then written as NDJSON. */
const NAIVE = `
import { createWriteStream } from 'node:fs'
const [url, file] = process.argv.slice(1)
const body = await (await fetch(url)).json()
const out = createWriteStream(file)
let bytes = 0
for (const record of body.users) {
  const line = JSON.stringify(record) + '\\n'
  bytes += Buffer.byteLength(line)
  if (!out.write(line)) await new Promise((r) => out.once('drain', r))
}
await new Promise((r) => out.end(r))
process.stdout.write(JSON.stringify({ records: body.users.length, bytes, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) }))
`

function runNaive(url: string, file: string): Sample {
  const started = performance.now()
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', NAIVE, url, file], { encoding: 'utf8', maxBuffer: 1 << 20 })
  const wallMs = performance.now() - started
  if (child.status !== 0) throw new Error(`naive fetch failed (${child.status}): ${child.stderr}`)
  const report = JSON.parse(child.stdout) as { records: number; bytes: number; peakRssMb: number }
  return { wallMs, rssMb: report.peakRssMb, records: report.records, bytes: report.bytes, outcomes: 'fetched' }
}

async function main(): Promise<void> {
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  const results: Record<string, ReturnType<typeof median<Sample>>> = {}
  const all: Record<string, Sample[]> = {}
  const measure = (name: string, once: (i: number) => Sample): void => {
    all[name] = Array.from({ length: repeat }, (_, i) => once(i))
    results[name] = median(all[name] as Sample[])
    const r = results[name] as Sample
    process.stderr.write(`${name}: ${formatDuration(r.wallMs)}, ${formatInt(r.records / (r.wallMs / 1000))} rec/s, ${formatMiB(r.rssMb)} (${r.outcomes})\n`)
  }

  const server = await startServer(records)
  try {
    const cacheDir = (i: number): string => join(work, `cache-${records}-${i}`)
    measure(`warm, ${records.toLocaleString('en-US')} records, 3 sources`, (i) => runWarm(['--base-url', server.url, '--cache-dir', cacheDir(i)]))
    measure('warm again: dumps 304, device pages fetched', (i) => runWarm(['--base-url', server.url, '--cache-dir', cacheDir(i)]))
    measure('naive fetch + JSON.parse, users dump only', (i) => runNaive(`${server.url}/static/users.json`, join(work, `naive-${i}.ndjson`)))
    measure('warm, users dump only (same body)', (i) => runWarm(['--base-url', server.url, '--cache-dir', join(work, `users-${i}`), '--source', 'users']))
  } finally {
    await stopServer(server.child)
  }

  const bigRecords = Math.round((bigMb * 1e6) / USERS_BYTES_PER_RECORD / USERS_SHARE)
  const big = await startServer(bigRecords)
  try {
    measure(`warm, one ~${bigMb} MB body`, (i) => {
      const dir = join(work, `big-${i}`)
      const sample = runWarm(['--base-url', big.url, '--cache-dir', dir, '--source', 'users'])
      rmSync(dir, { recursive: true, force: true })
      return sample
    })
  } finally {
    await stopServer(big.child)
  }
  const markdown = report(results)
  process.stdout.write(`${markdown}\n`)
  mkdirSync(values.out as string, { recursive: true })
  const stamp = new Date().toISOString().slice(0, 10)
  writeFileSync(join(values.out as string, `warm-${stamp}.md`), `${markdown}\n`)
  writeFileSync(
    join(values.out as string, `warm-${stamp}.json`),
    `${JSON.stringify({ machine: machine(), records, bigMb, repeat, results, samples: all }, null, 2)}\n`,
  )
  rmSync(work, { recursive: true, force: true })
}

function report(results: Record<string, ReturnType<typeof median<Sample>>>): string {
  const rows = Object.entries(results).map(([name, r]) => {
    const perSec = r.records / (r.wallMs / 1000)
    return `| ${name} | ${formatDuration(r.wallMs)} (${formatDuration(r.minWall)}–${formatDuration(r.maxWall)}) | ${formatInt(r.records)} | ${formatBytes(r.bytes)} | ${formatInt(perSec)} | ${formatBytes(r.bytes / (r.wallMs / 1000))}/s | ${formatMiB(r.rssMb)} |`
  })
  const m = machine()
  return [
    `Median of ${repeat}, each run a fresh process timed from outside (start-up included), the demo API in its own process on the same machine; ${m.cores} cores, ${m.cpu}, Node ${m.node}, ${m.date}`,
    '',
    '| run | wall (min–max) | records fetched | NDJSON written | records/s | throughput | peak RSS |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n')
}

await main()

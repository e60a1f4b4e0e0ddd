/**
 * Incremental against full: a device list of --devices records (1,000,000 by default) from the demo API, 1 % of
 * them changed before each measured run. Each `cachesync warm` and `cachesync sync` is a fresh process timed
 * from outside; the demo API runs in this process, which counts the body bytes it sends (bytes over the wire).
 *
 *   npm run bench:incremental -- [--devices 1000000] [--changed 0.01] [--work DIR]
 *
 * 1. setup: a full warm and a first sync (not measured);
 * 2. 1 % changed, an incremental warm (a delta of what changed since the cursor) and a sync that applies it;
 * 3. 1 % changed again, a full warm (`--full`) and a sync of the whole file.
 * Prints a Markdown table; writes it with the raw runs to benchmarks/results/incremental-<date>.{md,json}.
 */
import { spawn } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { DMR_SOURCES } from '../src/config/dmr-sources.js'
import { startDemoApi } from '../src/demo-api/demo-api.js'
import { dmrDataset } from '../src/generate/dmr-generator.js'
import { formatBytes, formatDuration, formatInt } from '../src/util/format.js'
import { machine } from './bench-support.js'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
const cli = join(root, 'bin', 'cachesync.js')

const { values } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000000' },
    changed: { type: 'string', default: '0.01' },
    work: { type: 'string', default: '/tmp/cachesync-bench-incremental' },
    out: { type: 'string', default: join(root, 'benchmarks', 'results') },
  },
})
const devices = Number(values.devices)
const changed = Number(values.changed)
const work = resolve(values.work)

interface Step {
  wireBytes: number
  records: number
  warmMs: number
  syncMs: number
  syncRecords: { read: number; inserted: number; updated: number; unchanged: number; deleted: number }
}

/** The demo's record count whose device list holds `wanted` devices (the demo splits records as the real data set is). */
function recordsForDevices(wanted: number): number {
  let records = Math.round((wanted * 276_600) / 33_000)
  for (let i = 0; i < 100; i++) {
    const count = dmrDataset({ records, seed: 1, changeRate: 0 }).find((s) => s.name === 'devices')?.records ?? 0
    if (count === wanted) return records
    records += wanted - count > 0 ? 1 : -1
  }
  return records
}

/** Runs the CLI without blocking this process's event loop (it serves the demo API). */
function run(args: string[]): Promise<{ ms: number; stdout: string }> {
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
      if (code !== 0) fail(new Error(`cachesync ${args.join(' ')} failed (${code}): ${stderr}\n${stdout}`))
      else done({ ms: performance.now() - started, stdout })
    })
  })
}

async function main(): Promise<void> {
  rmSync(work, { recursive: true, force: true })
  mkdirSync(work, { recursive: true })
  const api = await startDemoApi({ records: recordsForDevices(devices), seed: 1 })
  const spec = DMR_SOURCES.find((s) => s.name === 'devices')
  const config = join(work, 'devices.json')
  const source = { ...spec, url: `${api.url}/v2/device`, incremental: { param: 'updated_since', field: 'updated_at' } }
  writeFileSync(config, JSON.stringify({ sources: [source] }))
  const common = ['--config', config, '--cache-dir', join(work, 'cache'), '--json', '--log-level', 'warn', '--no-progress']
  const db = ['--db', join(work, 'devices.db')]
  let state = 1
  const changeSome = (): void => {
    const positions: number[] = []
    for (let i = 0; i < Math.round(changed * devices); i++) {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0
      positions.push(state % devices)
    }
    api.devices.change(positions)
  }
  const step = async (warmArgs: string[]): Promise<Step> => {
    const before = api.bytesSent
    const warm = await run(['warm', ...common, ...warmArgs])
    const wireBytes = api.bytesSent - before
    const records = (JSON.parse(warm.stdout) as { sources: { records: number }[] }).sources[0]?.records ?? 0
    const sync = await run(['sync', ...common, ...db])
    const syncRecords = (JSON.parse(sync.stdout) as { sources: { records: Step['syncRecords'] }[] }).sources[0]?.records as Step['syncRecords']
    process.stderr.write(
      `${warmArgs.join(' ') || 'warm'}: ${formatBytes(wireBytes)} over the wire, warm ${formatDuration(warm.ms)}, sync ${formatDuration(sync.ms)}\n`,
    )
    return { wireBytes, records, warmMs: warm.ms, syncMs: sync.ms, syncRecords }
  }
  let results: Record<string, Step>
  try {
    const setup = await step([])
    changeSome()
    const incremental = await step([])
    changeSome()
    const full = await step(['--full'])
    results = { setup, incremental, full }
  } finally {
    await api.close()
  }
  const markdown = report(results)
  process.stdout.write(`${markdown}\n`)
  mkdirSync(values.out as string, { recursive: true })
  const stamp = new Date().toISOString().slice(0, 10)
  writeFileSync(join(values.out as string, `incremental-${stamp}.md`), `${markdown}\n`)
  writeFileSync(join(values.out as string, `incremental-${stamp}.json`), `${JSON.stringify({ machine: machine(), devices, changed, results }, null, 2)}\n`)
  rmSync(work, { recursive: true, force: true })
}

function report(results: Record<string, Step>): string {
  const m = machine()
  const row = (name: string, s: Step): string =>
    `| ${name} | ${formatBytes(s.wireBytes)} | ${formatInt(s.records)} | ${formatDuration(s.warmMs)} | ${formatDuration(s.syncMs)} | ${formatDuration(s.warmMs + s.syncMs)} | ${formatInt(s.syncRecords.updated)} / ${formatInt(s.syncRecords.unchanged)} / ${formatInt(s.syncRecords.deleted)} |`
  return [
    `${formatInt(devices)} devices, ${changed * 100} % changed before each run; one run each, each command a fresh process timed from outside; ${m.cores} cores, ${m.cpu}, Node ${m.node}, ${m.date}`,
    '',
    '| run | bytes over the wire | records fetched | warm | sync | warm + sync | updated / unchanged / deleted |',
    '|---|---|---|---|---|---|---|',
    row('incremental warm + sync (a delta)', results.incremental as Step),
    row('full warm + sync (`--full`)', results.full as Step),
    row('(setup: first full warm + sync, empty table)', results.setup as Step),
  ].join('\n')
}

await main()

import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os'
import { join } from 'node:path'
import { DMR_SOURCES } from '../config/dmr-sources.js'
import { liveRowsDir } from '../sink/sqlite/database-files.js'
import { sqliteVersion } from '../sink/sqlite/sqlite-driver.js'
import { formatDuration, formatInt, formatMiB } from '../util/format.js'
import { isProcessAlive } from '../util/process-alive.js'
import { type BenchData, prepareBenchData, recordsToResync } from './bench-data.js'
import { renderBenchMarkdown } from './bench-markdown.js'
import { type BenchOptions, type ResolvedBenchOptions, resolveBenchOptions } from './bench-options.js'
import type { BenchMachine, BenchReport } from './bench-report.js'
import { type BenchRun, type BenchSample, summarize } from './bench-results.js'
import { buildBenchTables } from './bench-tables.js'
import {
  BenchRunError,
  competitorMissing,
  freshDb,
  plainLoaderMissing,
  runCeiling,
  runDuckDb,
  runNaive,
  runOurSync,
  runPlainLoader,
  runSqliteShell,
  runSqliteUtils,
  toolVersion,
} from './competitors.js'
import { duckDbMissing } from './duckdb-loader.js'
import { GNU_TIME } from './measure-process.js'
import { type BenchConfig, postgresConfigs } from './postgres-runs.js'

export interface RunBenchHooks {
  /** One line per finished run, for a human watching. */
  progress?: (line: string) => void
}

type Config = BenchConfig

function describe(run: BenchRun): string {
  const s = summarize(run)
  if (s === undefined) return `${run.label}: ${run.unavailable ?? run.failed ?? 'no runs'}`
  const rss = s.rssMb === undefined ? '' : `, ${formatMiB(s.rssMb)}`
  return `${run.label}: ${formatDuration(s.ms)}, ${formatInt(s.recordsPerSec)} records/s${rss}`
}

async function attempt(config: Config): Promise<void> {
  const { run } = config
  if (run.unavailable !== undefined || run.failed !== undefined) return
  try {
    run.samples.push(await config.once())
  } catch (err) {
    if (!(err instanceof BenchRunError)) throw err
    run.failed = err.message
  }
}

/** Removes the databases of benches that were killed (their `db-<pid>` directory outlived the process). */
function sweepDeadRuns(work: string): void {
  for (const name of readdirSync(work)) {
    const pid = /^db-(\d+)$/.exec(name)?.[1]
    if (pid === undefined || isProcessAlive(Number(pid))) continue
    rmSync(join(work, name), { recursive: true, force: true })
  }
}

/**
 * A copy of a finished database, on disk before the run starts: a copy still in the page cache would make
 * the run's first commit wait while the kernel writes back what the bench itself just wrote, a cost no
 * cron run pays.
 */
function copyDb(from: string, to: string): string {
  freshDb(to)
  const copies = ['', '-wal'].filter((suffix) => existsSync(`${from}${suffix}`)).map((suffix) => [`${from}${suffix}`, `${to}${suffix}`])
  // The live rows the first sync saved beside it (the copy names the very same files).
  if (existsSync(liveRowsDir(from))) {
    mkdirSync(liveRowsDir(to))
    for (const name of readdirSync(liveRowsDir(from))) copies.push([join(liveRowsDir(from), name), join(liveRowsDir(to), name)])
  }
  for (const [source, target] of copies as [string, string][]) {
    copyFileSync(source, target)
    const fd = openSync(target, 'r+')
    try {
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
  }
  return to
}

/** Our configurations: every mode, streaming at every chunk size. */
function ourConfigs(options: ResolvedBenchOptions, data: BenchData, dbDir: string): Config[] {
  const configs: Config[] = []
  for (const mode of options.modes) {
    for (const chunk of mode === 'streaming' ? options.chunks : [undefined]) {
      const id = chunk === undefined ? mode : `${mode}-${chunk}`
      const db = join(dbDir, `${id}.db`)
      const run: BenchRun = { id, label: chunk === undefined ? mode : `${mode} ${chunk}`, records: data.base.records, samples: [] }
      const once = () => runOurSync({ cacheDir: data.base.dir, db: freshDb(db), mode, chunk, expectRows: data.base.records, expectRead: data.base.records })
      configs.push({ run, once, slow: false })
    }
  }
  return configs
}

/**
 * Parallel mode with no column mapping: the same sources with only their names and keys, every column
 * inferred from the records, beside the mapped sync (issue 14: within 10 % of it).
 */
function inferredConfig(data: BenchData, dbDir: string): Config {
  const config = join(dbDir, 'inferred.json')
  const sources = DMR_SOURCES.map((s) => ({ name: s.name, key: s.key, delete: s.delete }))
  writeFileSync(config, JSON.stringify({ sources }))
  const db = join(dbDir, 'inferred.db')
  const run: BenchRun = { id: 'inferred', label: 'parallel, inferred columns (no mapping)', records: data.base.records, samples: [] }
  const once = () =>
    runOurSync({ cacheDir: data.base.dir, db: freshDb(db), mode: 'parallel', config, expectRows: data.base.records, expectRead: data.base.records })
  return { run, once, slow: false }
}

function competitorConfigs(options: ResolvedBenchOptions, data: BenchData, dbDir: string): Config[] {
  const db = (id: string) => join(dbDir, `${id}.db`)
  // A competitor's database is never read again once its rows are counted: removed at once, to spare the disk.
  const make = (id: string, label: string, records: number, missing: string | undefined, slow: boolean, load: () => Promise<BenchSample>): Config => ({
    run: { id, label, records, samples: [], ...(missing === undefined ? {} : { unavailable: missing }) },
    once: () =>
      load().finally(() => {
        freshDb(db(id))
        rmSync(`${db(id)}.sql`, { force: true })
      }),
    slow,
  })
  const sqlite3 = competitorMissing('sqlite3')
  return [
    make('plain', 'plain loader', data.base.records, plainLoaderMissing(options.plainLoader), false, () =>
      runPlainLoader(options.plainLoader, data.base, db('plain')),
    ),
    make('duckdb', 'DuckDB, read_ndjson_auto', data.base.records, duckDbMissing(), false, () => runDuckDb(data.base, `${db('duckdb')}.duckdb`)),
    make('naive', 'naive baseline', data.subset.records, undefined, true, () => runNaive(data.subset, db('naive'))),
    make('sqlite3-import', 'sqlite3 shell, .import + json_extract', data.base.records, sqlite3, true, () =>
      runSqliteShell(data.base, db('sqlite3-import'), 'import'),
    ),
    make('sqlite3-json-each', 'sqlite3 shell, json_each(readfile())', data.base.records, sqlite3, true, () =>
      runSqliteShell(data.base, db('sqlite3-json-each'), 'json-each'),
    ),
    make('sqlite-utils', 'sqlite-utils insert --nl --pk', data.base.records, competitorMissing('sqlite-utils'), true, () =>
      runSqliteUtils(data.base, db('sqlite-utils')),
    ),
  ]
}

/**
 * The bench: generates the data set once, runs every configuration in its own process `repeat` times in
 * rounds (so that a noisy neighbour spreads over all of them), fresh database each time; then the write
 * ceiling and the re-syncs on the fastest configuration's database. Tables are built from the medians.
 */
export async function runBench(input: BenchOptions = {}, hooks: RunBenchHooks = {}): Promise<BenchReport> {
  const options = resolveBenchOptions(input)
  const say = hooks.progress ?? (() => {})
  const loadStart = loadavg()[0] ?? 0
  mkdirSync(options.work, { recursive: true })
  say(`data set: ${options.records.toLocaleString('en-US')} records, seed ${options.seed}, in ${options.work}`)
  const data = await prepareBenchData(options)
  sweepDeadRuns(options.work)
  const dbDir = join(options.work, `db-${process.pid}`)
  mkdirSync(dbDir, { recursive: true })
  try {
    const ours = ourConfigs(options, data, dbDir)
    const inferred = options.modes.includes('parallel') ? [inferredConfig(data, dbDir)] : []
    const others = competitorConfigs(options, data, dbDir)
    const [plain, ...slow] = others
    const postgres = options.postgres === undefined ? [] : postgresConfigs(options.postgres, data, dbDir)
    const order = [...(plain === undefined ? [] : [plain]), ...ours, ...inferred, ...postgres, ...slow]
    for (let round = 0; round < options.repeat; round++) {
      for (const config of order) {
        if (config.slow && round >= options.repeatSlow) continue
        await attempt(config)
        say(`round ${round + 1}/${options.repeat} ${describe(config.run)}`)
      }
    }
    const runs = order.map((c) => c.run)
    const best = ours
      .map((c) => ({ run: c.run, s: summarize(c.run) }))
      .filter((x) => x.s !== undefined)
      .sort((a, b) => (a.s?.ms ?? 0) - (b.s?.ms ?? 0))[0]?.run
    runs.push(...(await afterFirstSyncs(options, data, dbDir, best, say)))
    const machine: BenchMachine = {
      cores: availableParallelism(),
      cpu: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      sqlite: sqliteVersion(),
      sqliteShell: toolVersion('sqlite3'),
      sqliteUtils: toolVersion('sqlite-utils'),
      loadAverage: { start: loadStart, end: loadavg()[0] ?? 0 },
      rss: existsSync(GNU_TIME) ? `${GNU_TIME} -f %M (the process's own maxrss)` : "our sync's own peakRssMb; other tools not measured (no /usr/bin/time)",
    }
    const { work: _work, out: _out, plainLoader: _plainLoader, postgres: _postgres, ...shown } = options
    const report: BenchReport = {
      date: new Date().toISOString(),
      machine,
      options: shown,
      data: { records: data.base.records, bytes: data.base.bytes, changedRecords: data.changed.records, subsetRecords: data.subset.records },
      runs,
      tables: buildBenchTables(runs, best?.id, data.base.records),
      files: [],
    }
    if (options.out !== undefined) report.files = writeResults(report, options.out)
    return report
  } finally {
    rmSync(dbDir, { recursive: true, force: true })
  }
}

/** The write ceiling and the two re-syncs, each on a copy of the fastest configuration's finished database. */
async function afterFirstSyncs(
  options: ResolvedBenchOptions,
  data: BenchData,
  dbDir: string,
  best: BenchRun | undefined,
  say: (line: string) => void,
): Promise<BenchRun[]> {
  const tables = data.base.sources.map((s) => s.spec.table)
  const ceiling: BenchRun = { id: 'ceiling', label: 'SQLite write ceiling: INSERT … SELECT copy', records: data.base.records, samples: [] }
  const unchanged: BenchRun = { id: 'resync-unchanged', label: 're-sync, nothing changed', records: data.base.records, samples: [] }
  const changed: BenchRun = { id: 'resync-changed', label: 're-sync, 1 % changed', records: data.changed.records, samples: [] }
  const runs = [ceiling, unchanged, changed]
  const sample = best?.samples[0]
  if (best === undefined || sample === undefined) {
    for (const run of runs) run.failed = 'no configuration of ours finished a first sync'
    return runs
  }
  const synced = join(dbDir, `${best.id}.db`)
  const [mode, chunkText] = best.id.split('-') as [string, string | undefined]
  const chunk = chunkText === undefined ? undefined : Number(chunkText)
  const copy = join(dbDir, 'resync.db')
  const configs: Config[] = [
    { run: ceiling, slow: false, once: () => runCeiling(synced, join(dbDir, 'ceiling.db'), tables, data.base.records) },
    {
      run: unchanged,
      slow: false,
      once: () => runOurSync({ cacheDir: data.base.dir, db: copyDb(synced, copy), mode, chunk, expectRows: data.base.records, expectRead: 0 }),
    },
    {
      run: changed,
      slow: false,
      once: () =>
        runOurSync({
          cacheDir: data.changed.dir,
          db: copyDb(synced, copy),
          mode,
          chunk,
          expectRows: undefined,
          expectRead: recordsToResync(data.base, data.changed),
        }),
    },
  ]
  for (let round = 0; round < options.repeat; round++) {
    for (const config of configs) {
      await attempt(config)
      say(`round ${round + 1}/${options.repeat} ${describe(config.run)}`)
    }
  }
  return runs
}

function writeResults(report: BenchReport, out: string): string[] {
  mkdirSync(out, { recursive: true })
  const stamp = report.date.slice(0, 16).replace(':', '')
  const json = join(out, `bench-${stamp}.json`)
  const md = join(out, `bench-${stamp}.md`)
  writeFileSync(json, `${JSON.stringify({ ...report, files: undefined }, null, 2)}\n`)
  writeFileSync(md, renderBenchMarkdown(report))
  return [json, md]
}

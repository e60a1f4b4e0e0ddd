import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { ResolvedSource } from '../config/resolve-config.js'
import { resolveConfig } from '../config/resolve-config.js'
import { type GenerateReport, generateDmrCache } from '../generate/dmr-generator.js'
import type { ResolvedBenchOptions } from './bench-options.js'

/** One source of a bench data set: its NDJSON file and the table our built-in configuration maps it to. */
export interface BenchSource {
  name: string
  file: string
  records: number
  bytes: number
  /** Of the file's bytes: a source whose file did not change is skipped by a re-sync. */
  sha256: string
  spec: ResolvedSource
}

/** A cache directory of the three DMR files. */
export interface BenchCache {
  dir: string
  records: number
  bytes: number
  sources: BenchSource[]
}

/** The data sets of one bench: the cache, the same seed with 1 % changed, and the naive baseline's subset. */
export interface BenchData {
  base: BenchCache
  changed: BenchCache
  subset: BenchCache
}

const COMPLETE = '.bench-complete.json'

/** The built-in DMR sources as the sync resolves them (no file, no environment). */
export function builtInSources(): readonly ResolvedSource[] {
  return resolveConfig({ env: {} }).sources
}

async function generated(dir: string, records: number, seed: number, changeRate: number): Promise<BenchCache> {
  const marker = join(dir, COMPLETE)
  // A data set is reused only when a previous bench finished writing it with the same parameters.
  let report: GenerateReport | undefined
  if (existsSync(marker)) {
    const saved = JSON.parse(readFileSync(marker, 'utf8')) as { records: number; seed: number; changeRate: number; report: GenerateReport }
    if (saved.records === records && saved.seed === seed && saved.changeRate === changeRate) report = saved.report
  }
  if (report === undefined) {
    report = await generateDmrCache({ records, cacheDir: dir, seed, changeRate })
    writeFileSync(marker, JSON.stringify({ records, seed, changeRate, report }))
  }
  return toCache(dir, report.sources)
}

function toCache(dir: string, files: readonly { name: string; file: string; records: number; bytes: number; sha256: string }[]): BenchCache {
  const specs = builtInSources()
  const sources = files.map((f) => {
    const spec = specs.find((s) => s.name === f.name)
    if (spec === undefined) throw new Error(`bench: the generated source ${f.name} is not in the built-in configuration`)
    return { name: f.name, file: join(dir, `${f.name}.ndjson`), records: f.records, bytes: f.bytes, sha256: f.sha256, spec }
  })
  return { dir, records: sum(sources.map((s) => s.records)), bytes: sum(sources.map((s) => s.bytes)), sources }
}

/** The first lines of each file, in the data set's proportions: the same records, fewer of them. */
async function subsetOf(base: BenchCache, records: number, dir: string): Promise<BenchCache> {
  if (records >= base.records) return base
  mkdirSync(dir, { recursive: true })
  const files = []
  for (const source of base.sources) {
    const take = Math.max(1, Math.round((source.records * records) / base.records))
    const lines: string[] = []
    const reader = createInterface({ input: createReadStream(source.file), crlfDelay: Number.POSITIVE_INFINITY })
    for await (const line of reader) {
      if (line === '') continue
      lines.push(line)
      if (lines.length === take) break
    }
    reader.close()
    const text = `${lines.join('\n')}\n`
    writeFileSync(join(dir, `${source.name}.ndjson`), text)
    files.push({ name: source.name, file: `${source.name}.ndjson`, records: lines.length, bytes: Buffer.byteLength(text), sha256: '' })
  }
  return toCache(dir, files)
}

/** Generates the data sets once per work directory (seeded), or reuses those a previous bench left. */
export async function prepareBenchData(options: ResolvedBenchOptions): Promise<BenchData> {
  const name = `dmr-${options.records}-seed${options.seed}`
  const base = await generated(join(options.work, name), options.records, options.seed, 0)
  const changed = await generated(join(options.work, `${name}-changed`), options.records, options.seed, 0.01)
  const subset = await subsetOf(base, options.naiveRecords, join(options.work, `${name}-first-${options.naiveRecords}`))
  return { base, changed, subset }
}

/** Records a re-sync of `changed` over a sync of `base` reads: those of the files that changed. */
export function recordsToResync(base: BenchCache, changed: BenchCache): number {
  return sum(changed.sources.filter((c) => base.sources.find((b) => b.name === c.name)?.sha256 !== c.sha256).map((c) => c.records))
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0)
}

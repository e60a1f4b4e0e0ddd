import { CachesyncError } from '../util/errors.js'
import { PLAIN_LOADER } from './bench-paths.js'

/** The sync modes a bench can compare (auto only picks one of them). */
export const BENCH_MODES = ['parallel', 'sequential', 'streaming'] as const
export type BenchMode = (typeof BENCH_MODES)[number]

/** What a caller of {@link runBench} passes; every field optional. */
export interface BenchOptions {
  /** Records in the generated data set (over the three DMR files). @default 1000000 */
  records?: number
  /** @default ['parallel', 'sequential', 'streaming'] */
  modes?: readonly BenchMode[]
  /** Chunk sizes streaming mode runs at. @default [500, 1000, 2000, 5000] */
  chunks?: readonly number[]
  /** Runs of each of our configurations and of the plain loader. @default 3 */
  repeat?: number
  /** Runs of the slow competitors (naive, sqlite3 shell, sqlite-utils): they measure a tool, not us. @default 1 */
  repeatSlow?: number
  /** Records the naive baseline loads (its time is scaled to the whole data set). @default 10000 */
  naiveRecords?: number
  /** Seed of the data set. @default 1 */
  seed?: number
  /** Where the data sets and databases go; data sets are kept and reused, databases removed. @default '/tmp/cachesync-bench' */
  work?: string
  /** Where the JSON and Markdown results are written; undefined writes none. */
  out?: string | undefined
  /** The plain loader script. @default ../shared/tools/plain-loader.cjs beside the package */
  plainLoader?: string
  /**
   * A PostgreSQL URL: a parallel first sync, a 1 % re-sync and `psql \copy` of the same rows are timed
   * there too, in schemas `cachesync_bench` and `cachesync_bench_copy` (dropped first). Never reported.
   */
  postgres?: string | undefined
}

export interface ResolvedBenchOptions {
  readonly records: number
  readonly modes: readonly BenchMode[]
  readonly chunks: readonly number[]
  readonly repeat: number
  readonly repeatSlow: number
  readonly naiveRecords: number
  readonly seed: number
  readonly work: string
  readonly out: string | undefined
  readonly plainLoader: string
  readonly postgres: string | undefined
}

export const DEFAULT_BENCH_OPTIONS: ResolvedBenchOptions = Object.freeze({
  records: 1_000_000,
  modes: Object.freeze([...BENCH_MODES]),
  chunks: Object.freeze([500, 1000, 2000, 5000]),
  repeat: 3,
  repeatSlow: 1,
  naiveRecords: 10_000,
  seed: 1,
  work: '/tmp/cachesync-bench',
  out: undefined,
  plainLoader: PLAIN_LOADER,
  postgres: undefined,
})

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1) throw new CachesyncError('ERR_USAGE', `bench: --${name} must be a positive integer, got ${value}`)
  return value
}

/** Validates what a caller passed and fills in the defaults, once. */
export function resolveBenchOptions(options: BenchOptions = {}): ResolvedBenchOptions {
  const modes = options.modes ?? DEFAULT_BENCH_OPTIONS.modes
  if (modes.length === 0) throw new CachesyncError('ERR_USAGE', `bench: --modes needs at least one of ${BENCH_MODES.join(', ')}`)
  for (const mode of modes) {
    if (!(BENCH_MODES as readonly string[]).includes(mode)) {
      throw new CachesyncError('ERR_USAGE', `bench: --modes: unknown mode "${mode}"; expected ${BENCH_MODES.join(', ')}`)
    }
  }
  const chunks = options.chunks ?? DEFAULT_BENCH_OPTIONS.chunks
  if (chunks.length === 0) throw new CachesyncError('ERR_USAGE', 'bench: --chunks needs at least one chunk size')
  for (const chunk of chunks) positiveInteger('chunks', chunk, 1)
  return Object.freeze({
    records: positiveInteger('records', options.records, DEFAULT_BENCH_OPTIONS.records),
    modes: Object.freeze([...new Set(modes)]),
    chunks: Object.freeze([...new Set(chunks)]),
    repeat: positiveInteger('repeat', options.repeat, DEFAULT_BENCH_OPTIONS.repeat),
    repeatSlow: positiveInteger('repeat-slow', options.repeatSlow, DEFAULT_BENCH_OPTIONS.repeatSlow),
    naiveRecords: positiveInteger('naive-records', options.naiveRecords, DEFAULT_BENCH_OPTIONS.naiveRecords),
    seed: positiveInteger('seed', options.seed, DEFAULT_BENCH_OPTIONS.seed),
    work: options.work ?? DEFAULT_BENCH_OPTIONS.work,
    out: options.out,
    plainLoader: options.plainLoader ?? DEFAULT_BENCH_OPTIONS.plainLoader,
    postgres: postgresUrl(options.postgres),
  })
}

function postgresUrl(url: string | undefined): string | undefined {
  if (url === undefined || /^postgres(ql)?:\/\//.test(url)) return url
  throw new CachesyncError('ERR_USAGE', 'bench: --postgres takes a postgres:// or postgresql:// URL')
}

import type { ModeOption } from '../config/config-schema.js'
import { formatBytes } from '../util/format.js'
import type { MemoryBudget } from './memory-probe.js'
import type { SyncMode } from './sync-report.js'

export interface ModeChoice {
  mode: SyncMode
  chunk: number
  reason: string
}

export interface ModeInput {
  requested: ModeOption
  /** An explicit --chunk; undefined lets the choice pick one. */
  chunk: number | undefined
  memory: MemoryBudget
  /** Total size of the cache files to sync, and of the largest one. */
  cacheBytes: number
  largestFileBytes: number
}

const MIB = 1024 * 1024
const GIB = 1024 * MIB
/**
 * Peak memory per byte of cache while a whole file is in flight: the bytes, their decoded strings and
 * the parsed records alive at once, plus the known-hash sets of a re-sync. The measured peaks of the
 * parallel and sequential modes (docs/performance.md) stay well below it: the rest is headroom.
 */
const WHOLE_FILE_FACTOR = 3
export const DEFAULT_CHUNK = 2000
/**
 * Below this much cache, one thread is faster than a pool: starting the workers (each loads its own
 * modules) and merging their staging files costs more than the parsing they share. Measured with
 * `npm run bench:crossover` (docs/performance.md): parallel mode 1.3–1.7× slower than streaming up to
 * 100,000 records (38 MiB), and ahead from about 200 MiB on a quiet 2-core machine.
 */
export const SMALL_CACHE_BYTES = 64 * MIB

/**
 * Picks the mode from the memory really available and the size of the cache: streaming, with a smaller
 * chunk the less memory there is (under 512 MiB chunk 500, under 2 GiB 1000, under 8 GiB 2000), or for a
 * small cache (`SMALL_CACHE_BYTES`); else parallel — but never a whole-file mode when the cache would not
 * fit comfortably.
 */
export function chooseMode(input: ModeInput): ModeChoice {
  const available = input.memory.availableBytes
  const budget = `${formatBytes(available)} available (${input.memory.source}), ${formatBytes(input.cacheBytes)} of cache`
  if (input.requested !== 'auto') {
    return { mode: input.requested, chunk: input.chunk ?? DEFAULT_CHUNK, reason: `requested; ${budget}` }
  }
  const pick = (mode: SyncMode, chunk: number, why: string): ModeChoice => ({
    mode,
    chunk: input.chunk ?? chunk,
    reason: `auto: ${budget} → ${mode}${mode === 'streaming' ? `, chunk ${input.chunk ?? chunk}` : ''} (${why})`,
  })
  if (available < 512 * MIB) return pick('streaming', 500, 'under 512 MiB')
  if (available < 2 * GIB) return pick('streaming', 1000, 'under 2 GiB')
  if (available < 8 * GIB) return pick('streaming', 2000, 'under 8 GiB')
  if (input.cacheBytes < SMALL_CACHE_BYTES)
    return pick('streaming', DEFAULT_CHUNK, `under ${SMALL_CACHE_BYTES / MIB} MiB of cache: one thread is faster than a pool`)
  if (input.cacheBytes * WHOLE_FILE_FACTOR <= available / 2) return pick('parallel', DEFAULT_CHUNK, 'the whole cache fits in memory')
  if (input.largestFileBytes * WHOLE_FILE_FACTOR <= available / 2) return pick('sequential', DEFAULT_CHUNK, 'one file at a time fits, the whole cache does not')
  return pick('streaming', 2000, 'the cache files are too large to hold whole')
}

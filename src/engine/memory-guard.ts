import { ConfigError } from '../util/errors.js'
import type { Logger } from '../util/logger.js'

/** Past this RSS, in MiB, a sync slows down rather than risk being killed for its memory. */
export const DEFAULT_MEMORY_THRESHOLD_MB = 500

/** The threshold from `CACHESYNC_MEMORY_THRESHOLD_MB`, or the default; throws ConfigError on a bad value. */
export function memoryThresholdFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.CACHESYNC_MEMORY_THRESHOLD_MB
  if (raw === undefined || raw === '') return DEFAULT_MEMORY_THRESHOLD_MB
  const mb = Number(raw)
  if (!Number.isFinite(mb) || mb <= 0) throw new ConfigError(`CACHESYNC_MEMORY_THRESHOLD_MB must be a positive number of MiB, got ${JSON.stringify(raw)}`)
  return mb
}

const MIB = 1024 * 1024
const SAMPLE_EVERY_MS = 100

export interface MemoryRecord {
  thresholdMb: number
  peakRssMb: number
  peakHeapMb: number
  /** What was done each time the threshold was crossed. */
  backOffs: string[]
}

/**
 * Watches the process's RSS and heap during a sync: on a timer, and whenever a mode asks (a busy
 * synchronous loop starves the timer). Past the threshold the modes back off — smaller chunks in
 * streaming, fewer tasks in flight in parallel — and each back-off is logged and kept for the run record.
 */
export class MemoryGuard {
  readonly #thresholdBytes: number
  readonly #logger: Logger
  readonly #record: MemoryRecord
  #timer: NodeJS.Timeout | undefined
  #over = false

  constructor(thresholdMb: number, logger: Logger) {
    this.#thresholdBytes = thresholdMb * MIB
    this.#logger = logger
    this.#record = { thresholdMb, peakRssMb: 0, peakHeapMb: 0, backOffs: [] }
  }

  start(): this {
    this.#timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS).unref()
    this.sample()
    return this
  }

  stop(): MemoryRecord {
    clearInterval(this.#timer)
    this.sample()
    return { ...this.#record, backOffs: [...this.#record.backOffs] }
  }

  /** Samples now; true while RSS is over the threshold. */
  sample(): boolean {
    const rss = process.memoryUsage.rss()
    const heap = process.memoryUsage().heapUsed
    this.#record.peakRssMb = Math.max(this.#record.peakRssMb, Math.round(rss / MIB))
    this.#record.peakHeapMb = Math.max(this.#record.peakHeapMb, Math.round(heap / MIB))
    const over = rss > this.#thresholdBytes
    if (over && !this.#over)
      this.#logger.warn({ rssMb: Math.round(rss / MIB), thresholdMb: this.#record.thresholdMb }, 'memory over the threshold: backing off')
    this.#over = over
    return over
  }

  get overThreshold(): boolean {
    return this.#over
  }

  /** Notes a back-off a mode made (`streaming chunk 2000 → 1000`). */
  backedOff(what: string): void {
    this.#record.backOffs.push(what)
    this.#logger.warn({ backOff: what }, 'memory back-off')
  }
}

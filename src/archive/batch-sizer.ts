/** How an archive run sizes its batches: where it starts, its bounds, and the time a batch should take. */
export interface BatchSizeOptions {
  /** Rows of the first batch. @default 2000 */
  start?: number
  /** @default 500 */
  min?: number
  /**
   * Memory follows it: at 5,000 rows a batch, archiving 1,000,000 rows peaks under 200 MB.
   * @default 5000
   */
  max?: number
  /** Milliseconds a batch should take from query to delete. @default 1000 */
  targetMs?: number
}

export type ResolvedBatchSizeOptions = Required<Readonly<BatchSizeOptions>>

export const DEFAULT_BATCH_SIZE: ResolvedBatchSizeOptions = Object.freeze({ start: 2000, min: 500, max: 5000, targetMs: 1000 })

/**
 * The size of the next batch. After each batch the size moves towards the one that would have taken
 * the target time, by at most a factor of two a step, so that one slow fsync does not swing it: a
 * slow storage shrinks the batches, a fast one grows them, within `min` and `max`.
 */
export class BatchSizer {
  #size: number
  readonly #options: ResolvedBatchSizeOptions
  /** Every size used, in order, without repeats in a row: what the report shows. */
  readonly sizes: number[]

  constructor(options: ResolvedBatchSizeOptions) {
    this.#options = options
    this.#size = clamp(options.start, options.min, options.max)
    this.sizes = [this.#size]
  }

  get size(): number {
    return this.#size
  }

  /** A batch of `rows` took `ms` of work, query to delete. */
  record(rows: number, ms: number): void {
    // A short last batch says nothing about the size that fits.
    if (rows < this.#size || ms <= 0) return
    const ideal = (rows * this.#options.targetMs) / ms
    this.#size = Math.round(clamp(clamp(ideal, this.#size / 2, this.#size * 2), this.#options.min, this.#options.max))
    if (this.sizes.at(-1) !== this.#size) this.sizes.push(this.#size)
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, value))
}

/** `--chunk auto`: transactions sized to take about this long, within these bounds (the archiver's sizer). */
export const ADAPTIVE_CHUNK = Object.freeze({ targetMs: 250, min: 500, max: 50_000 })

/** The smallest chunk memory pressure can push a fixed chunk down to. */
const MIN_BACKED_OFF = 100

/**
 * The size of the next chunk. Fixed unless adaptive: then after each chunk the size moves towards the
 * one that would have taken the target time, by at most a factor of two a step so one slow commit (a
 * checkpoint, a busy disk) does not swing it. Memory pressure halves it either way.
 */
export class ChunkSizer {
  #size: number
  readonly #adaptive: boolean
  readonly #min: number
  /** Every size used, in order, without repeats in a row: what the report shows. */
  readonly sizes: number[]

  constructor(initial: number, options: { adaptive: boolean }) {
    this.#adaptive = options.adaptive
    this.#min = options.adaptive ? ADAPTIVE_CHUNK.min : Math.min(initial, MIN_BACKED_OFF)
    this.#size = options.adaptive ? clamp(initial, ADAPTIVE_CHUNK.min, ADAPTIVE_CHUNK.max) : initial
    this.sizes = [this.#size]
  }

  get size(): number {
    return this.#size
  }

  /** A chunk of `records` took `ms` to read, map and commit. */
  record(records: number, ms: number): void {
    if (!this.#adaptive || records === 0 || ms <= 0) return
    const ideal = (records * ADAPTIVE_CHUNK.targetMs) / ms
    this.#set(Math.round(clamp(ideal, this.#size / 2, this.#size * 2)))
  }

  /** Memory is short: halve the chunk (down to the minimum). */
  backOff(): void {
    this.#set(Math.floor(this.#size / 2))
  }

  #set(size: number): void {
    const upper = this.#adaptive ? ADAPTIVE_CHUNK.max : (this.sizes[0] ?? size)
    this.#size = clamp(size, this.#min, upper)
    if (this.sizes[this.sizes.length - 1] !== this.#size) this.sizes.push(this.#size)
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, value))
}

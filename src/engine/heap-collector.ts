import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

/** Records between two collections: a few hundred milliseconds of streaming. */
const DEFAULT_EVERY_RECORDS = 100_000

let collect: (() => void) | undefined

/**
 * V8's full collection, got the way jest's leak detector gets it: the flag that exposes `gc` is set at
 * run time and read by a fresh context. Nothing else in cachesync calls it.
 */
export function fullCollection(): () => void {
  if (collect === undefined) {
    setFlagsFromString('--expose-gc')
    collect = runInNewContext('gc') as () => void
  }
  return collect
}

/**
 * Keeps a streaming sync's heap at its working size. V8 lets the old generation grow for as long as a
 * process allocates, so the peak RSS of a constant-memory loop still grows with the number of records:
 * garbage, not data held. A full collection now and then keeps the peak near the working size, and costs
 * little, since the heap it walks is small (figures: docs/performance.md, streaming memory).
 */
export class HeapCollector {
  readonly #every: number
  readonly #collect: () => void
  #next: number

  constructor(everyRecords = DEFAULT_EVERY_RECORDS, collect: () => void = fullCollection()) {
    this.#every = everyRecords
    this.#collect = collect
    this.#next = everyRecords
  }

  /** Collects when `records` (done so far) passed the next mark; call it between chunks. */
  afterChunk(records: number): void {
    if (records < this.#next) return
    this.#next = records + this.#every
    this.#collect()
  }
}

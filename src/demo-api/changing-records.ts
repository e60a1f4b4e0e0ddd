import type { DmrDatasetSource } from '../generate/dmr-generator.js'

/** Update times of the records as generated: a minute apart from the start of 2024, in the past for a million. */
const BASE_UPDATED_MS = Date.UTC(2024, 0, 1)
const BASE_STEP_MS = 60_000

/**
 * The demo's device list as it changes: every record carries `updated_at` (one in a thousand has it null,
 * one in a thousand has none, as real APIs have records older than the column), records change and vanish
 * between fetches, and `?updated_since=` answers those updated at or after a time. What an incremental warm
 * is tested and measured against.
 */
export class ChangingRecords {
  readonly #base: DmrDatasetSource
  readonly #changeRate: number
  readonly #now: () => number
  readonly #seed: number
  readonly #changed = new Map<number, { json: string; at: number | null }>()
  readonly #removed = new Set<number>()
  #version = 0
  #fetches = 0
  #cached: { key: string; positions: Int32Array } | undefined

  constructor(base: DmrDatasetSource, options: { changeRate: number; now: () => number; seed: number }) {
    this.#base = base
    this.#changeRate = options.changeRate
    this.#now = options.now
    this.#seed = options.seed
  }

  /** Bumped by every change: part of the ETag. */
  get version(): number {
    return this.#version
  }

  /** A fetch begins (its first page): with a change rate, that fraction of the records changes now, the first fetch included. */
  fetchStarted(): void {
    this.#fetches++
    if (this.#changeRate <= 0 || this.#base.records === 0) return
    const count = Math.max(1, Math.round(this.#changeRate * this.#base.records))
    let state = (this.#seed * 2_654_435_761 + this.#fetches * 40_503) >>> 0
    const positions: number[] = []
    for (let i = 0; i < count; i++) {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0
      positions.push(state % this.#base.records)
    }
    this.change(positions)
  }

  /** Changes these records now: a new `last_seen`, and `updated_at` the time (where the record has one). */
  change(positions: readonly number[]): void {
    const at = Math.floor(this.#now() / 1000) * 1000
    const stamp = new Date(at).toISOString()
    for (const position of positions) {
      if (position < 0 || position >= this.#base.records) continue
      const record = JSON.parse(this.#base.recordAt(position)) as Record<string, unknown>
      record.last_seen = stamp.slice(0, 19).replace('T', ' ')
      const cursor = cursorKindOf(position)
      this.#changed.set(position, { json: withUpdatedAt(JSON.stringify(record), cursor === 'time' ? stamp : cursor), at: cursor === 'time' ? at : null })
    }
    this.#version++
  }

  /** Removes these records upstream: only a full fetch sees them gone. */
  remove(positions: readonly number[]): void {
    for (const position of positions) this.#removed.add(position)
    this.#version++
  }

  /** The positions served, in order: every record left, or those updated at or after `sinceMs`. Undefined for all, untouched. */
  positions(sinceMs: number | undefined): Int32Array | undefined {
    if (sinceMs === undefined && this.#removed.size === 0) return undefined
    const key = `${sinceMs}|${this.#version}`
    if (this.#cached?.key === key) return this.#cached.positions
    const out: number[] = []
    for (let position = 0; position < this.#base.records; position++) {
      if (this.#removed.has(position)) continue
      if (sinceMs !== undefined) {
        const at = this.#updatedAt(position)
        if (at === null || at < sinceMs) continue
      }
      out.push(position)
    }
    this.#cached = { key, positions: Int32Array.from(out) }
    return this.#cached.positions
  }

  recordAt(position: number): string {
    const changed = this.#changed.get(position)
    if (changed !== undefined) return changed.json
    const cursor = cursorKindOf(position)
    return withUpdatedAt(this.#base.recordAt(position), cursor === 'time' ? new Date(BASE_UPDATED_MS + position * BASE_STEP_MS).toISOString() : cursor)
  }

  #updatedAt(position: number): number | null {
    const changed = this.#changed.get(position)
    if (changed !== undefined) return changed.at
    return cursorKindOf(position) === 'time' ? BASE_UPDATED_MS + position * BASE_STEP_MS : null
  }
}

/** One record in a thousand has `updated_at: null`, one has no `updated_at`; the others a time. */
function cursorKindOf(position: number): 'time' | null | 'missing' {
  const rest = position % 1000
  return rest === 999 ? null : rest === 998 ? 'missing' : 'time'
}

function withUpdatedAt(json: string, value: string | null | 'missing'): string {
  if (value === 'missing') return json
  return `${json.slice(0, -1)},"updated_at":${JSON.stringify(value)}}`
}

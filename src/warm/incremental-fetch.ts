import { mkdir, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { CacheMeta } from '../cache/cache-meta.js'
import {
  type DeltaEntry,
  deltaDirOf,
  deltaFileName,
  type IncrementalState,
  readIncrementalState,
  removeUnlistedDeltas,
  writeIncrementalState,
} from '../cache/delta-files.js'
import type { ResolvedIncremental } from '../config/resolve-warm.js'

/** What an incremental source's warm does this time, and why. */
export type IncrementalPlan =
  | { readonly fetch: 'full'; readonly why: string; readonly state: IncrementalState | undefined }
  | { readonly fetch: 'delta'; readonly state: IncrementalState; readonly cursor: string | number; readonly target: string; readonly seq: number }

/** What the warm report tells of an incremental source. */
export interface IncrementalReport {
  readonly fetch: 'full' | 'delta'
  /** Why a full fetch ran: no cursor yet, `fullEvery` due, `--full`. */
  readonly why?: string
  /** The cursor sent (delta), or undefined. */
  readonly since?: string | number
  /** The cursor the next incremental fetch sends. */
  readonly cursor: string | number | null
  /** Records fetched without a cursor value: only full fetches see them change. */
  readonly nullCursor: number
  /** Deltas kept for the sync after this warm. */
  readonly deltas: number
}

/**
 * Decides between a full fetch and a delta: a delta needs a saved cursor that builds on the cache file as it
 * is, and a full fetch younger than `fullEvery`. Clears the source's delta folder of files its state does not
 * name (a warm killed between writing a delta and saving its cursor leaves one: it is fetched again).
 */
export async function planIncremental(
  cacheDir: string,
  source: string,
  spec: ResolvedIncremental,
  meta: CacheMeta | undefined,
  options: { now: number; full: boolean },
): Promise<IncrementalPlan> {
  const dir = deltaDirOf(cacheDir, source)
  await mkdir(dir, { recursive: true })
  const found = await readIncrementalState(cacheDir, source)
  const onCache = found !== undefined && found.base.sha256 === meta?.sha256 && found.base.fetchedAt === meta?.fetchedAt
  const state = onCache ? found : undefined
  await removeUnlistedDeltas(cacheDir, source, state, await readdir(dir))
  if (options.full) return { fetch: 'full', why: '--full', state }
  if (state === undefined)
    return { fetch: 'full', why: found === undefined ? 'no cursor yet' : 'the cache file is not the one the cursor was saved with', state }
  if (state.cursor === null) return { fetch: 'full', why: 'no record of the last full fetch had a cursor value', state }
  const fullAt = Date.parse(state.fullAt)
  if (!(options.now - fullAt < spec.fullEveryMs) || options.now < fullAt) return { fetch: 'full', why: 'a full fetch is due (fullEvery)', state }
  const seq = state.nextSeq
  return { fetch: 'delta', state, cursor: state.cursor, target: join(dir, deltaFileName(seq)), seq }
}

interface SeenCursor {
  readonly order: number
  readonly value: string | number
}

/**
 * Follows the newest cursor value among the records written, page by page: a page rolled back (fetched
 * again after a failure half-way) is forgotten with `rollback`.
 */
export class CursorTracker {
  readonly #spec: ResolvedIncremental
  #newest: SeenCursor | undefined
  #nulls = 0
  #mark: { newest: SeenCursor | undefined; nulls: number } = { newest: undefined, nulls: 0 }

  constructor(spec: ResolvedIncremental) {
    this.#spec = spec
  }

  get nullCursor(): number {
    return this.#nulls
  }

  /** Reads the cursor field of one record's JSON text. */
  observe(json: string): void {
    let value: unknown
    try {
      value = JSON.parse(json) as unknown
    } catch {
      this.#nulls++
      return
    }
    for (const key of this.#spec.field) value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined
    const order = orderOf(value, this.#spec.kind)
    if (order === undefined) {
      this.#nulls++
      return
    }
    if (this.#newest === undefined || order > this.#newest.order) this.#newest = { order, value: value as string | number }
  }

  pageStart(): void {
    this.#mark = { newest: this.#newest, nulls: this.#nulls }
  }

  rollback(): void {
    this.#newest = this.#mark.newest
    this.#nulls = this.#mark.nulls
  }

  /** The newest value seen, or `before` when none was newer. */
  newest(before: string | number | null): string | number | null {
    const prior = before === null ? undefined : orderOf(before, this.#spec.kind)
    if (this.#newest === undefined) return before
    return prior !== undefined && prior >= this.#newest.order ? before : this.#newest.value
  }

  /** The value the next request sends: the newest seen minus the lag, in the cursor's own form. */
  nextCursor(newest: string | number | null): string | number | null {
    if (newest === null) return null
    const order = orderOf(newest, this.#spec.kind) as number
    return this.#spec.kind === 'number' ? order - this.#spec.lag : timestampLike(String(newest), order - this.#spec.lag)
  }
}

/** A time without a zone (`2026-06-01 10:00:00`, as many APIs write): read as UTC, whatever the machine's zone. */
const ZONELESS = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/

/** A cursor value as a number to compare: a timestamp's milliseconds, a number itself; undefined when it is neither. */
function orderOf(value: unknown, kind: 'timestamp' | 'number'): number | undefined {
  if (kind === 'number') {
    const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN
    return Number.isFinite(n) ? n : undefined
  }
  if (typeof value !== 'string' || value === '') return undefined
  const ms = Date.parse(ZONELESS.test(value) ? `${value.replace(' ', 'T')}Z` : value)
  return Number.isNaN(ms) ? undefined : ms
}

/**
 * The time `ms` written as the API wrote `sample`: a zoneless time stays zoneless (in UTC, as it was read),
 * with a space or a T and with or without seconds and fractions as the sample; any other form becomes
 * ISO 8601 in UTC.
 */
function timestampLike(sample: string, ms: number): string {
  const iso = new Date(ms).toISOString()
  if (!ZONELESS.test(sample)) return iso
  const seconds = /\d{2}:\d{2}:\d{2}/.test(sample) ? iso.slice(16, 19) : ''
  const fraction = seconds !== '' && sample.includes('.') ? iso.slice(19, 23) : ''
  return `${iso.slice(0, 10)}${sample[10]}${iso.slice(11, 16)}${seconds}${fraction}`
}

/** The state after a full fetch: a new base, no deltas, the cursor from its records. */
export async function saveAfterFull(
  cacheDir: string,
  source: string,
  before: IncrementalState | undefined,
  full: { sha256: string; fetchedAt: string },
  tracker: CursorTracker,
): Promise<IncrementalState> {
  const newest = tracker.newest(null)
  const state: IncrementalState = {
    base: full,
    fullAt: full.fetchedAt,
    cursor: tracker.nextCursor(newest),
    newest,
    nullCursorRecords: tracker.nullCursor,
    deltas: [],
    nextSeq: before?.nextSeq ?? 1,
  }
  await writeIncrementalState(cacheDir, source, state)
  // The deltas of the old full file are superseded: the new one holds their changes, and its deletes.
  await removeUnlistedDeltas(cacheDir, source, state, await readdir(deltaDirOf(cacheDir, source)))
  return state
}

/** The state after a delta is durably in place (or none came): the cursor moves only now. */
export async function saveAfterDelta(
  cacheDir: string,
  source: string,
  before: IncrementalState,
  delta: Omit<DeltaEntry, 'nullCursor'> | undefined,
  tracker: CursorTracker,
  at: string,
): Promise<IncrementalState> {
  const newest = tracker.newest(before.newest)
  const state: IncrementalState = {
    ...before,
    cursor: tracker.nextCursor(newest) ?? before.cursor,
    newest,
    deltas: delta === undefined ? before.deltas : [...before.deltas, { ...delta, nullCursor: tracker.nullCursor }],
    nextSeq: delta === undefined ? before.nextSeq : before.nextSeq + 1,
    checkedAt: at,
  }
  await writeIncrementalState(cacheDir, source, state)
  return state
}

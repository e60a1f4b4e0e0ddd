import { createHash } from 'node:crypto'
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { CachesyncError } from '../util/errors.js'
import { writeFileAtomic } from '../util/write-file-atomic.js'

/**
 * Where the deltas of incremental sources live: a dot directory of the cache directory, one folder a source,
 * so that nothing that looks for cache files (`<name>.ndjson`) or lists the directory takes a delta for one.
 */
export const DELTA_DIR = '.cachesync-deltas'

/** The file in a source's delta folder that says which deltas count and where the cursor stands. */
export const INCREMENTAL_STATE_FILE = 'state.json'

/** One delta: the records an incremental warm fetched, applied by `sync` as upserts after the full file. */
export interface DeltaEntry {
  /** Grows by one with every delta of the source, across full fetches: deltas apply in this order. */
  readonly seq: number
  /** The file's name in the source's delta folder. */
  readonly file: string
  readonly sha256: string
  readonly records: number
  readonly bytes: number
  readonly fetchedAt: string
  /** Records of the delta without a cursor value (null, missing, or not of the cursor's kind). */
  readonly nullCursor: number
}

/**
 * A source's incremental state, written atomically after the file it describes is durably in place: a
 * cursor is never saved before the records it covers.
 */
export interface IncrementalState {
  /** The full cache file the deltas build on: its sha256 and its meta file's fetchedAt. */
  readonly base: { readonly sha256: string; readonly fetchedAt: string }
  /** When the last full fetch ended (ISO 8601). */
  readonly fullAt: string
  /** The value the next incremental fetch sends: the newest cursor seen, minus the lag. */
  readonly cursor: string | number | null
  /** The newest cursor value seen so far. */
  readonly newest: string | number | null
  /** Records of the last full fetch without a cursor value: only full fetches see their changes. */
  readonly nullCursorRecords: number
  /** Deltas since the full fetch, oldest first. */
  readonly deltas: readonly DeltaEntry[]
  readonly nextSeq: number
  /** When the last incremental fetch ended, with or without changes. */
  readonly checkedAt?: string
}

/** A delta with its path and the identity of the content once it is applied (see {@link chainIds}). */
export interface PendingDelta extends DeltaEntry {
  readonly path: string
  readonly chainId: string
}

export function deltaDirOf(cacheDir: string, source: string): string {
  return join(cacheDir, DELTA_DIR, source)
}

export function deltaFileName(seq: number): string {
  return `delta-${String(seq).padStart(8, '0')}.ndjson`
}

/** Reads a source's incremental state; undefined when there is none or it is not one (a half-made folder). */
export async function readIncrementalState(cacheDir: string, source: string): Promise<IncrementalState | undefined> {
  let text: string
  try {
    text = await readFile(join(deltaDirOf(cacheDir, source), INCREMENTAL_STATE_FILE), 'utf8')
  } catch {
    return undefined
  }
  try {
    const parsed = JSON.parse(text) as IncrementalState
    return typeof parsed?.base?.sha256 === 'string' && Array.isArray(parsed.deltas) ? parsed : undefined
  } catch {
    return undefined
  }
}

export async function writeIncrementalState(cacheDir: string, source: string, state: IncrementalState): Promise<void> {
  await writeFileAtomic(join(deltaDirOf(cacheDir, source), INCREMENTAL_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`)
}

/**
 * What the table holds once the full file and the first k deltas are applied, for k = 0…n: the full file's
 * hash, then each delta chained onto the one before. A sync records the identity it reached as the source's
 * content hash, so that the next one knows which deltas are still to apply.
 */
export function chainIds(baseHash: string, deltas: readonly Pick<DeltaEntry, 'seq' | 'sha256'>[]): string[] {
  const ids = [baseHash]
  for (const delta of deltas) {
    ids.push(
      createHash('sha256')
        .update(`${ids[ids.length - 1]}\n${delta.seq}\n${delta.sha256}`)
        .digest('hex'),
    )
  }
  return ids
}

/**
 * The deltas that build on this full file, oldest first, with their chain identities; none where the state
 * describes another full file (a newer full fetch superseded them, or the file was replaced by hand).
 */
export async function deltasOnto(cacheDir: string, source: string, full: { sha256: string; fetchedAt: string | undefined }): Promise<PendingDelta[]> {
  const state = await readIncrementalState(cacheDir, source)
  if (state === undefined || state.deltas.length === 0) return []
  if (state.base.sha256 !== full.sha256 || state.base.fetchedAt !== full.fetchedAt) return []
  const ids = chainIds(full.sha256, state.deltas)
  const dir = deltaDirOf(cacheDir, source)
  return state.deltas.map((delta, i) => ({ ...delta, path: join(dir, delta.file), chainId: ids[i + 1] as string }))
}

/** Throws a clear error when a delta the state names is gone: applying the later ones would skip its changes. */
export function missingDeltaError(source: string, path: string): CachesyncError {
  return new CachesyncError(
    'ERR_SOURCE',
    `Delta file ${path} of source ${source} is missing: its changes would be skipped. Run \`cachesync warm --full --source ${source}\` to fetch everything again`,
  )
}

/**
 * Removes the files of a delta folder that the state does not name (a listed delta keeps every file named
 * after it, its meta file among them): leftovers of a warm killed mid-way, or superseded deltas. Only under
 * the warm lock: no other warm is writing there.
 */
export async function removeUnlistedDeltas(cacheDir: string, source: string, state: IncrementalState | undefined, names: readonly string[]): Promise<void> {
  const stems = (state?.deltas ?? []).map((d) => `${d.file.replace(/\.ndjson$/, '')}.`)
  const dir = deltaDirOf(cacheDir, source)
  for (const name of names) {
    if (name === INCREMENTAL_STATE_FILE || stems.some((stem) => name.startsWith(stem))) continue
    await rm(join(dir, name), { force: true })
  }
}

import { readFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { writeFileAtomic } from '../util/write-file-atomic.js'

/** The small JSON file written beside every cache file. Every field is optional: hand-made caches have none. */
export interface CacheMeta {
  /** When the content was fetched or generated (ISO 8601). */
  fetchedAt?: string
  /** When the source was last checked upstream, even if nothing changed (ISO 8601). */
  checkedAt?: string
  etag?: string
  lastModified?: string
  records?: number
  bytes?: number
  /** sha256 of the cache file's bytes, hex. */
  sha256?: string
  /** Where the content came from, credentials masked. */
  source?: string
  version?: string
}

/** `rptrs.ndjson` → `rptrs.meta.json`, in the same directory. */
export function metaPathFor(cacheFile: string): string {
  const name = basename(cacheFile).replace(/\.(ndjson|jsonl|json)(\.gz)?$/, '')
  return join(dirname(cacheFile), `${name}.meta.json`)
}

/** Reads the meta file of a cache file; undefined when there is none or it is not a JSON object. */
export async function readCacheMeta(cacheFile: string): Promise<CacheMeta | undefined> {
  let text: string
  try {
    text = await readFile(metaPathFor(cacheFile), 'utf8')
  } catch {
    return undefined
  }
  try {
    const parsed: unknown = JSON.parse(text)
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as CacheMeta) : undefined
  } catch {
    return undefined
  }
}

/** Writes the meta file atomically: a reader sees the old meta or the new one. */
export async function writeCacheMeta(cacheFile: string, meta: CacheMeta): Promise<void> {
  const target = metaPathFor(cacheFile)
  await writeFileAtomic(target, `${JSON.stringify(meta, null, 2)}\n`)
}

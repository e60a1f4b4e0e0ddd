import { createHash } from 'node:crypto'
import { closeSync, createReadStream, existsSync, openSync, readSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { ResolvedSource } from '../config/resolve-config.js'
import { CachesyncError } from '../util/errors.js'
import { type CacheMeta, readCacheMeta } from './cache-meta.js'

export type CacheFormat = 'ndjson' | 'json'

/** A source's cache file as found on disk. */
export interface CacheFile {
  readonly path: string
  readonly format: CacheFormat
  readonly gzip: boolean
  readonly bytes: number
  readonly meta: CacheMeta | undefined
}

const CANDIDATE_SUFFIXES = ['.ndjson', '.jsonl', '.json', '.ndjson.gz', '.jsonl.gz', '.json.gz']

/** Finds the cache file of a source: the configured name, or the first of `<name>.ndjson|.jsonl|.json[.gz]`. */
export async function locateCacheFile(cacheDir: string, source: ResolvedSource): Promise<CacheFile> {
  const candidates = source.file !== undefined ? [source.file] : CANDIDATE_SUFFIXES.map((suffix) => `${source.name}${suffix}`)
  const found = candidates.map((name) => join(cacheDir, name)).find((path) => existsSync(path))
  if (found === undefined) {
    throw new CachesyncError(
      'ERR_SOURCE',
      `No cache file for source ${source.name} in ${cacheDir} (looked for ${candidates.join(', ')}); run \`cachesync warm\` or \`cachesync generate\` first`,
    )
  }
  const stat = statSync(found)
  if (!stat.isFile()) throw new CachesyncError('ERR_SOURCE', `Cache path ${found} of source ${source.name} is not a file`)
  const gzip = found.endsWith('.gz')
  const bare = gzip ? found.slice(0, -3) : found
  const format: CacheFormat = source.format ?? (bare.endsWith('.json') ? 'json' : 'ndjson')
  return { path: found, format, gzip, bytes: stat.size, meta: await readCacheMeta(found) }
}

/**
 * The sha256 of a cache file's bytes: from its meta file when the meta describes this very file (same
 * size), so that an unchanged cache is recognised without reading it; computed otherwise.
 */
export async function contentHashOf(file: CacheFile): Promise<string> {
  if (file.meta?.sha256 !== undefined && file.meta.bytes === file.bytes) return file.meta.sha256
  const digest = createHash('sha256')
  for await (const chunk of createReadStream(file.path, { highWaterMark: 1 << 20 })) digest.update(chunk as Buffer)
  return digest.digest('hex')
}

/** A byte range of a file that starts at a line start and ends after a newline (or at the end). */
export interface ByteRange {
  readonly start: number
  readonly end: number
}

/** Cuts a range of an NDJSON file that starts at a line start into about `parts` ranges on line boundaries. */
export function splitOnLines(path: string, range: ByteRange, parts: number): ByteRange[] {
  const size = range.end
  if (parts <= 1 || range.end <= range.start) return [range]
  const fd = openSync(path, 'r')
  try {
    const probe = Buffer.allocUnsafe(64 * 1024)
    const cuts = [range.start]
    for (let i = 1; i < parts; i++) {
      let at = Math.max(range.start + Math.floor(((range.end - range.start) * i) / parts), cuts[cuts.length - 1] as number)
      let next = -1
      while (next < 0 && at < size) {
        const read = readSync(fd, probe, 0, probe.length, at)
        const newline = probe.subarray(0, read).indexOf(10)
        if (newline >= 0) next = at + newline + 1
        else at += read
        if (read === 0) break
      }
      if (next < 0 || next >= size) break
      if (next > (cuts[cuts.length - 1] as number)) cuts.push(next)
    }
    cuts.push(size)
    return cuts.slice(1).map((end, i) => ({ start: cuts[i] as number, end }))
  } finally {
    closeSync(fd)
  }
}

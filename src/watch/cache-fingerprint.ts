import { statSync } from 'node:fs'
import { locateCacheFile } from '../cache/cache-files.js'
import { readIncrementalState } from '../cache/delta-files.js'
import type { ResolvedConfig } from '../config/resolve-config.js'

/**
 * What identifies the cache files' contents now, without reading them: per source, the sha256 its meta
 * file records when the meta describes this very file (same size) — so a paginated source that warm
 * fetched again with the same records still counts as unchanged — else path, size, mtime and inode
 * (a rewrite renames a new file into place). A missing file counts as a state of its own. Costs a stat
 * and a small JSON read per source.
 */
export async function cacheFingerprint(config: ResolvedConfig): Promise<string> {
  const parts: string[] = []
  for (const source of config.sources) {
    try {
      const file = await locateCacheFile(config.cacheDir, source)
      if (file.meta?.sha256 !== undefined && file.meta.bytes === file.bytes) parts.push(`${source.name}:${file.path}:sha256:${file.meta.sha256}`)
      else {
        const stat = statSync(file.path, { bigint: true })
        parts.push(`${source.name}:${file.path}:stat:${stat.size}:${stat.mtimeNs}:${stat.ino}`)
      }
    } catch {
      parts.push(`${source.name}:missing`)
    }
    // An incremental warm adds deltas and leaves the full file as it is.
    const deltas = (await readIncrementalState(config.cacheDir, source.name))?.deltas ?? []
    if (deltas.length > 0) parts.push(`${source.name}:deltas:${deltas.map((d) => `${d.seq}:${d.sha256}`).join(',')}`)
  }
  return parts.join('\n')
}

import { statSync } from 'node:fs'
import { locateCacheFile } from '../cache/cache-files.js'
import type { ResolvedConfig } from '../config/resolve-config.js'

/**
 * What identifies the cache files as they are now, from `stat` alone: path, size, mtime and inode of
 * each source's file (a warm renames a new file into place, so a fetch changes at least the inode). Equal
 * fingerprints mean nothing was rewritten since; a missing file counts as a state of its own.
 */
export async function cacheFingerprint(config: ResolvedConfig): Promise<string> {
  const parts: string[] = []
  for (const source of config.sources) {
    try {
      const file = await locateCacheFile(config.cacheDir, source)
      const stat = statSync(file.path, { bigint: true })
      parts.push(`${source.name}:${file.path}:${stat.size}:${stat.mtimeNs}:${stat.ino}`)
    } catch {
      parts.push(`${source.name}:missing`)
    }
  }
  return parts.join('\n')
}

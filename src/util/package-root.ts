import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let found: string | undefined

/**
 * The directory of cachesync's own package.json, found by walking up from this module. The same code
 * runs from `src/util/` (under vitest), from `dist/src/util/` and from a chunk of the CLI bundle in
 * `dist/cli/`, so files that ship with the package (workers, bench children) are found from here and
 * never from a module's own URL.
 */
export function packageRoot(): string {
  if (found !== undefined) return found
  const start = dirname(fileURLToPath(import.meta.url))
  for (let dir = start; ; dir = dirname(dir)) {
    if (isCachesyncManifest(join(dir, 'package.json'))) {
      found = dir
      return dir
    }
    if (dirname(dir) === dir) throw new Error(`No package.json of cachesync above ${start}`)
  }
}

function isCachesyncManifest(path: string): boolean {
  try {
    return (JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown }).name === 'cachesync'
  } catch {
    return false
  }
}

import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** cachesync's package.json as found: its directory, and the fields read from it. */
interface PackageManifest {
  readonly root: string
  readonly version: unknown
}

let found: PackageManifest | undefined

/**
 * The directory of cachesync's own package.json, found by walking up from this module. The same code
 * runs from `src/util/` (under vitest), from `dist/src/util/` and from a chunk of the CLI bundle in
 * `dist/cli/`, so files that ship with the package (workers, bench children) are found from here and
 * never from a module's own URL.
 */
export function packageRoot(): string {
  return packageManifest().root
}

/** The package.json found by `packageRoot`, read once: its version comes from the same read. */
export function packageManifest(): PackageManifest {
  if (found !== undefined) return found
  const start = dirname(fileURLToPath(import.meta.url))
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = cachesyncManifest(join(dir, 'package.json'))
    if (manifest !== undefined) {
      found = { root: dir, version: manifest.version }
      return found
    }
    if (dirname(dir) === dir) throw new Error(`No package.json of cachesync above ${start}`)
  }
}

function cachesyncManifest(path: string): { version?: unknown } | undefined {
  try {
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as { name?: unknown; version?: unknown }
    return manifest.name === 'cachesync' ? manifest : undefined
  } catch {
    return undefined
  }
}

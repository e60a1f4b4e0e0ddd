import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

function findRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'bin', 'cachesync.js'))) return dir
    if (dirname(dir) === dir) throw new Error(`bench: no bin/cachesync.js above ${from}`)
  }
}

/** The package root (where bin/ and node_modules/ are). */
export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)))

/** The built CLI every configuration runs as. */
export const CLI = join(PACKAGE_ROOT, 'bin', 'cachesync.js')

/** The project's reference loader, beside the repository in ../shared (absent outside the project's machines). */
export const PLAIN_LOADER = resolve(PACKAGE_ROOT, '..', 'shared', 'tools', 'plain-loader.cjs')

/** The entry of the bench's own child processes (naive baseline, write ceiling), next to this module once built. */
export const BENCH_CHILD = fileURLToPath(new URL('./bench-child.js', import.meta.url))

import { join, resolve } from 'node:path'
import { packageRoot } from '../util/package-root.js'

/** The package root (where bin/ and node_modules/ are). */
export const PACKAGE_ROOT = packageRoot()

/** The built CLI every configuration runs as. */
export const CLI = join(PACKAGE_ROOT, 'bin', 'cachesync.js')

/** The project's reference loader, beside the repository in ../shared (absent outside the project's machines). */
export const PLAIN_LOADER = resolve(PACKAGE_ROOT, '..', 'shared', 'tools', 'plain-loader.cjs')

/** The entry of the bench's own child processes (naive baseline, write ceiling), as built in `dist/src/bench/`. */
export const BENCH_CHILD = join(PACKAGE_ROOT, 'dist', 'src', 'bench', 'bench-child.js')

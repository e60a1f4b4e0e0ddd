import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (where package.json and bin/ live). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The real RadioID repeater dump shared by the project (present in CI). */
export const realRptrsDump = join(repoRoot, '..', 'shared', 'data', 'radioid-rptrs-2026-02-15.json.gz')

/** True when the shared data directory holds the dump; tests that need it skip and say so otherwise. */
export const realRptrsDumpExists = existsSync(realRptrsDump)

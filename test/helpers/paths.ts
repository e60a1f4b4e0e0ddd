import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository root (where package.json and bin/ live). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The real RadioID repeater dump shared by the project, outside the repository: tests that need it skip where it is absent. */
export const realRptrsDump = join(repoRoot, '..', 'shared', 'data', 'radioid-rptrs-2026-02-15.json.gz')

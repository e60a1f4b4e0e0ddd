import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../util/package-root.js'

/**
 * A worker file as built JavaScript in `dist/src/workers/`. Workers always run that unbundled build:
 * from the CLI bundle in `dist/cli/`, from `dist/src/`, and under vitest from `src/*.ts` (`npm test`
 * builds first), so every caller runs the same worker code.
 */
export function workerFilename(worker: 'transform-worker' | 'archive-worker' | 'wal-checkpoint-worker' = 'transform-worker'): string {
  const filename = join(packageRoot(), 'dist', 'src', 'workers', `${worker}.js`)
  if (!existsSync(filename)) throw new Error(`Worker file ${filename} is missing: run \`npm run build\``)
  return filename
}

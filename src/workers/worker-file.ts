import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/**
 * A worker file as built JavaScript. Under vitest this module runs from `src/*.ts`; the workers then
 * run the built copy of the same source (`npm test` builds first), which is also what the CLI runs.
 */
export function workerFilename(worker: 'transform-worker' | 'archive-worker' | 'wal-checkpoint-worker' = 'transform-worker'): string {
  const here = fileURLToPath(import.meta.url)
  const built = here.endsWith('.ts') ? here.replace(/[/\\]src[/\\]workers[/\\]worker-file\.ts$/, '/dist/src/workers/worker-file.js') : here
  const filename = built.replace(/worker-file\.js$/, `${worker}.js`)
  if (!existsSync(filename)) throw new Error(`Worker file ${filename} is missing: run \`npm run build\``)
  return filename
}

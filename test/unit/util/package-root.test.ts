import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { packageRoot } from '../../../src/util/package-root.js'
import { PACKAGE_VERSION } from '../../../src/util/package-version.js'
import { workerFilename } from '../../../src/workers/worker-file.js'
import { repoRoot } from '../../helpers/paths.js'

// The CLI's bundle runs the same code from dist/cli/ (test/integration/cli-runs-the-bundle.test.ts).
describe('package root', () => {
  it('is the directory of the package.json named cachesync, found from src/ too', () => {
    expect(packageRoot()).toBe(repoRoot)
  })

  it('gives the version of that package.json', () => {
    expect(PACKAGE_VERSION).toBe((JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version)
  })

  it('locates the workers as tsc built them in dist/src/workers/', () => {
    expect(workerFilename('archive-worker')).toBe(join(repoRoot, 'dist', 'src', 'workers', 'archive-worker.js'))
  })
})

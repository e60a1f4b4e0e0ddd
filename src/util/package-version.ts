import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from './package-root.js'

/** cachesync's version, read once from its package.json. */
export const PACKAGE_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown }
    if (typeof pkg.version === 'string') return pkg.version
  } catch {
    // no package.json of ours: say so with a version no release has
  }
  return '0.0.0'
})()

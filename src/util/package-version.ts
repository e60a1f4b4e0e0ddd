import { readFileSync } from 'node:fs'

/** cachesync's version, read once from package.json (from `src/util/` or from the build in `dist/src/util/`). */
export const PACKAGE_VERSION: string = (() => {
  for (const candidate of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'cachesync' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // try the next layout
    }
  }
  return '0.0.0'
})()

import { readFileSync } from 'node:fs'

/** The package version, read once from package.json beside the build. */
export const VERSION: string = (() => {
  for (const candidate of ['../../package.json', '../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { version: string }).version
    } catch {
      // try the next layout (built or from source)
    }
  }
  return '0.0.0'
})()

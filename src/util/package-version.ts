import { packageManifest } from './package-root.js'

/** cachesync's version, from its package.json as `packageRoot` found it. */
export const PACKAGE_VERSION: string = (() => {
  try {
    const { version } = packageManifest()
    if (typeof version === 'string') return version
  } catch {
    // no package.json of ours: say so with a version no release has
  }
  return '0.0.0'
})()

import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Why pg_dump and pg_restore cannot run here, or undefined when they can. */
export function pgClientToolsUnavailable(): string | undefined {
  for (const tool of ['pg_dump', 'pg_restore']) if (spawnSync(tool, ['--version']).status !== 0) return `no ${tool} on the PATH (install postgresql-client)`
  return undefined
}

/** True where pg_dump or pg_restore is missing, after saying so: for `describe.skipIf(…)`. */
export function pgClientToolsMissing(): boolean {
  const missing = pgClientToolsUnavailable()
  if (missing !== undefined) console.warn(`\n*** PostgreSQL backup tests SKIPPED: ${missing}. ***\n`)
  return missing !== undefined
}

/** Writes an executable shell script `dir/name` (a stand-in for a tool on a PATH of the test's making); returns `dir`. */
export function writeTool(dir: string, name: string, script: string): string {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, name), `#!/bin/sh\n${script}\n`)
  chmodSync(join(dir, name), 0o755)
  return dir
}

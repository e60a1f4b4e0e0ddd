import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** Writes an executable shell script `dir/name` (a stand-in for a tool on a PATH of the test's making); returns `dir`. */
export function writeTool(dir: string, name: string, script: string): string {
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, name), `#!/bin/sh\n${script}\n`)
  chmodSync(join(dir, name), 0o755)
  return dir
}

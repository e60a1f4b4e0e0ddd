import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { type ShellStyle, shellLoadScript } from '../../src/bench/sqlite-shell-scripts.js'
import { resolveConfig } from '../../src/config/resolve-config.js'
import { generateDmrCache } from '../../src/generate/dmr-generator.js'
import { query } from '../helpers/database.js'
import { runCli } from '../helpers/run-cli.js'
import { requireTools } from '../helpers/system-tools.js'
import { useTempDir } from '../helpers/temp-dir.js'

describe('the bench’s sqlite3 shell scripts load what our sync loads, column for column', requireTools('sqlite3'), () => {
  const tmp = useTempDir()
  const sources = resolveConfig({ env: {} }).sources
  const ours = (): string => join(tmp(), 'ours.db')

  beforeAll(async () => {
    await generateDmrCache({ records: 3_000, cacheDir: join(tmp(), 'cache'), seed: 7 })
    const run = await runCli(['sync', '--mode', 'sequential', '--cache-dir', join(tmp(), 'cache'), '--db', ours(), '--json'])
    expect(run.code, run.stderr).toBe(0)
  })

  it.each<ShellStyle>(['import', 'json-each'])('%s', (style) => {
    const db = join(tmp(), `${style}.db`)
    const script = join(tmp(), `${style}.sql`)
    writeFileSync(
      script,
      shellLoadScript(
        sources.map((spec) => ({ file: join(tmp(), 'cache', `${spec.name}.ndjson`), spec })),
        style,
      ),
    )
    const shell = spawnSync('sqlite3', [db], { input: `.read ${JSON.stringify(script)}\n`, encoding: 'utf8' })
    expect(shell.status, shell.stderr).toBe(0)
    for (const spec of sources) {
      // Normalized columns (trimmed callsigns, the network's spellings) and coordinates we null when invalid differ by design.
      const same = spec.columns.filter((c) => c.normalize === undefined && c.invalid === 'reject').map((c) => `"${c.name}"`)
      const key = spec.key.map((k) => `"${k}"`).join(', ')
      const theirs = query(db, `SELECT ${same.join(', ')} FROM "${spec.table}" ORDER BY ${key}`)
      expect(theirs.length).toBeGreaterThan(0)
      expect(theirs, spec.table).toEqual(query(ours(), `SELECT ${same.join(', ')} FROM "${spec.table}" ORDER BY ${key}`))
    }
  })
})

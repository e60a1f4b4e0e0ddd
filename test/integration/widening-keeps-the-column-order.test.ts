import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { testConfig } from '../helpers/config.js'
import { query } from '../helpers/database.js'
import { useTempDir } from '../helpers/temp-dir.js'

interface ColumnInfo {
  cid: number
  name: string
  type: string
  pk: number
}

/**
 * SQLite widens a column by rebuilding its table. The rebuilt table has the columns of the table it
 * replaces, in the same order: a column added by an earlier sync stays after `_hash` and `_deleted_at`
 * where `ADD COLUMN` put it, the widened column keeps its place, and a column the configuration no
 * longer names keeps its place and its values.
 */
describe('a SQLite widening rebuild keeps the table its columns, in their order', () => {
  const tmp = useTempDir()
  const cacheDir = (): string => join(tmp(), 'cache')
  const db = (): string => join(tmp(), 'order.db')
  const tableInfo = (): ColumnInfo[] => query<ColumnInfo>(db(), 'PRAGMA table_info(things)')
  const steps = new Map<string, { columns: ColumnInfo[]; report: SyncReport }>()

  /** Writes the cache file and a configuration with these column lines, then syncs in streaming mode, two records a chunk. */
  async function sync(step: string, records: readonly object[], columns: string): Promise<void> {
    mkdirSync(cacheDir(), { recursive: true })
    writeFileSync(join(cacheDir(), 'things.ndjson'), records.map((r) => `${JSON.stringify(r)}\n`).join(''))
    const config = join(tmp(), `${step}.yaml`)
    writeFileSync(config, `sources:\n  - name: things\n    columns:\n${columns}`)
    const report = await runSync(testConfig({ db: db(), cacheDir: cacheDir(), mode: 'streaming', chunk: 2 }, config))
    steps.set(step, { columns: tableInfo(), report })
  }

  beforeAll(async () => {
    const withLabel = "      id: integer\n      label: { type: text, from: name }\n      '*': auto\n"
    const withoutLabel = "      id: integer\n      '*': auto\n"
    const base = [1, 2, 3, 4].map((id) => ({ id, name: `n${id}`, n: id * 10 }))
    await sync('first', base, withLabel)
    // A new field: ADD COLUMN puts it after the internal columns.
    await sync(
      'added',
      base.map((r) => ({ ...r, extra: `x${r.id}` })),
      withLabel,
    )
    // The configuration no longer names label, and n widens from integer to text in the second chunk.
    await sync(
      'widened',
      base.map((r) => ({ ...r, extra: `x${r.id}`, n: r.id === 3 ? 'N/A' : r.n })),
      withoutLabel,
    )
  })

  it('every sync succeeds; the last one widens n and adds the field that label read as a column of its own', () => {
    for (const [step, { report }] of steps) expect(report.ok, step).toBe(true)
    const schema = steps.get('widened')?.report.sources[0]?.schema
    expect(schema?.widened).toEqual([{ column: 'n', from: 'integer', to: 'text' }])
    expect(schema?.added.map((a) => a.column)).toEqual(['name'])
  })

  it('PRAGMA table_info lists the same columns in the same order after the rebuild, n in its place as TEXT', () => {
    const added = steps.get('added')?.columns as ColumnInfo[]
    const widened = steps.get('widened')?.columns as ColumnInfo[]
    expect(added.map((c) => c.name)).toEqual(['id', 'label', 'n', '_hash', '_deleted_at', 'extra'])
    expect(widened.map((c) => c.name)).toEqual([...added.map((c) => c.name), 'name'])
    expect(widened.map((c) => [c.name, c.type, c.pk])).toEqual([
      ['id', 'INTEGER', 1],
      ['label', 'TEXT', 0],
      ['n', 'TEXT', 0],
      ['_hash', 'BLOB', 0],
      ['_deleted_at', 'TEXT', 0],
      ['extra', 'TEXT', 0],
      ['name', 'TEXT', 0],
    ])
  })

  it('the rows keep their values: n as text, label where the configuration still named it, the key still the rowid', () => {
    expect(query(db(), 'SELECT id, label, n, typeof(n) AS t, extra, name FROM things ORDER BY id')).toEqual([
      { id: 1, label: 'n1', n: '10', t: 'text', extra: 'x1', name: 'n1' },
      { id: 2, label: 'n2', n: '20', t: 'text', extra: 'x2', name: 'n2' },
      { id: 3, label: 'n3', n: 'N/A', t: 'text', extra: 'x3', name: 'n3' },
      { id: 4, label: 'n4', n: '40', t: 'text', extra: 'x4', name: 'n4' },
    ])
    expect(query(db(), 'SELECT count(*) AS n FROM things WHERE rowid <> id')).toEqual([{ n: 0 }])
  })
})

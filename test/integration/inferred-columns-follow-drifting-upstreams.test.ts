import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { MODES, type Mode } from '../helpers/config.js'
import { type CliResult, runCli } from '../helpers/run-cli.js'
import type { Checksums } from '../helpers/sink-checksum.js'
import type { SourceJson } from '../helpers/sync-json.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type SinkKind, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

/** A source's part of `sync --json`, with the schema block of a source whose columns are inferred. */
interface SchemaJson {
  added: { column: string; field: string; type: string }[]
  widened: { column: string; from: string; to: string }[]
  dropped: Record<string, number>
}
type SourceReportJson = SourceJson & { schema: SchemaJson | null }

/** The first sync infers each table from its first 1,000 records: every drift below comes after them. */
const SAMPLE = 1000
/** `widens`: `reading` is an integer in records 1..N/2, then "N/A" in the odd records and an integer in the even ones. */
const N = 2400
/** `late`: `late_field` first appears in this record, well past the sample. */
const LATE_FROM = 1201
const LATE_RECORDS = 1500
/** `frozen` and `discarded`: records past the sample that carry a field the schema lacks, or a value its column cannot hold. */
const POLICY_RECORDS = 1200
const UNKNOWN_FIELD_AT = [1101, 1102, 1103]
const TEXT_IN_INTEGER_AT = 1150
/** Records a chunk (a transaction in streaming mode): a widening lands with rows already in the table. */
const CHUNK = 500

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1)
const expectedReading = (i: number): string => (i > N / 2 && i % 2 === 1 ? 'N/A' : String(i * 7))

const FILES: Record<string, () => object[]> = {
  widens: () => range(N).map((i) => ({ id: i, code: `w${i}`, reading: i <= N / 2 || i % 2 === 0 ? i * 7 : 'N/A' })),
  vanishes: () => range(20).map((i) => ({ id: i, note: `note ${i}`, size: i })),
  late: () => range(LATE_RECORDS).map((i) => ({ id: i, name: `l${i}`, ...(i >= LATE_FROM ? { late_field: `late ${i}` } : {}) })),
  flat1: nested,
  flat2: nested,
  frozen: policyRecords,
  discarded: policyRecords,
  nulls: () => range(30).map((i) => ({ id: i, count: i % 4 === 1 ? null : i * 3 })),
}
/** The second sync's `vanishes`: the even records no longer carry `note`. */
const vanishedNotes = (): object[] => range(20).map((i) => (i % 2 === 0 ? { id: i, size: i } : { id: i, note: `note ${i}`, size: i }))

function nested(): object[] {
  return range(10).map((i) => ({ id: i, loc: { lat: 50 + i / 10, lng: 4.25, meta: { src: 'gps', tags: ['a', `t${i}`] } }, tags: [i, i + 1] }))
}

function policyRecords(): object[] {
  return range(POLICY_RECORDS).map((i) => ({
    id: i,
    name: `p${i}`,
    n: i === TEXT_IN_INTEGER_AT ? 'N/A' : i,
    ...(UNKNOWN_FIELD_AT.includes(i) ? { extra: `x${i}` } : {}),
  }))
}

const CONFIG = `sources:
  - name: widens
  - name: vanishes
  - name: late
  - name: flat1
    flatten: 1
  - name: flat2
    flatten: 2
  - name: frozen
    schema: freeze
  - name: discarded
    schema: discard
  - name: nulls
`
const TABLES = Object.keys(FILES)

function writeNdjson(path: string, records: readonly object[]): void {
  writeFileSync(path, records.map((r) => `${JSON.stringify(r)}\n`).join(''))
}

/** The column names and types of a table in table order, types as the sink names them (lower case). */
function columnsOf(db: TestDatabase, table: string): [string, string][] {
  if (db.kind === 'sqlite') return db.query<{ name: string; type: string }>(`PRAGMA table_info(${table})`).map((c) => [c.name, c.type.toLowerCase()])
  return db
    .query<{ name: string; type: string }>(
      `SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${table}' ORDER BY ordinal_position`,
    )
    .map((c) => [c.name, c.type])
}

/** The type each sink declares for an inferred type. */
const SQL_TYPES: Record<SinkKind, Record<'integer' | 'real' | 'text' | 'json', string>> = {
  sqlite: { integer: 'integer', real: 'real', text: 'text', json: 'text' },
  postgres: { integer: 'bigint', real: 'double precision', text: 'text', json: 'json' },
}

/** Whole tables in key order, every value as text (JSON columns as their text): what the three modes must agree on. */
function contents(db: TestDatabase, table: string): unknown[] {
  const names = columnsOf(db, table).map(([name]) => name)
  const cells = names.map((name) => (name === '_hash' ? (db.kind === 'sqlite' ? 'hex("_hash")' : `encode("_hash", 'hex')`) : `CAST("${name}" AS TEXT)`))
  return db.query(`SELECT ${cells.map((c, i) => `${c} AS c${i}`).join(', ')} FROM ${table} ORDER BY id`)
}

/** What each mode left, by sink: compared once all three ran. */
const results = new Map<string, { tables: Record<string, unknown[]>; checksums: Checksums; columns: Record<string, [string, string][]> }>()

/**
 * Upstream drifts: a field turns from integers to text, a field vanishes, a field appears after the sample,
 * records nest objects, and each schema policy meets a field or a value the table does not have. Each
 * case runs through the real CLI (`sync --json`) in each mode on each sink, and the modes must leave the
 * same tables.
 */
describe.each(SINK_KINDS)('on %s', (kind: SinkKind) => {
  describe('inferred columns follow drifting upstreams', requireSink(kind), () => {
    const tmp = useTempDir()
    const database = useTestSink(kind, tmp)
    const types = SQL_TYPES[kind]

    describe.each(MODES)('%s mode', (mode: Mode) => {
      let db: TestDatabase
      let first: CliResult
      let second: CliResult
      let noKey: CliResult
      const source = (result: CliResult, name: string): SourceReportJson => {
        const found = (JSON.parse(result.stdout) as { sources: SourceReportJson[] }).sources.find((s) => s.name === name)
        if (found === undefined) throw new Error(`no source ${name} in the report`)
        return found
      }

      beforeAll(async () => {
        db = database(`drift_${mode}`)
        const dir = join(tmp(), mode)
        const cacheDir = join(dir, 'cache')
        mkdirSync(cacheDir, { recursive: true })
        const config = join(dir, 'drift.yaml')
        writeFileSync(config, CONFIG)
        for (const [name, records] of Object.entries(FILES)) writeNdjson(join(cacheDir, `${name}.ndjson`), records())
        const sync = (): Promise<CliResult> =>
          runCli(
            [
              'sync',
              '--config',
              config,
              '--cache-dir',
              cacheDir,
              ...db.args,
              '--mode',
              mode,
              '--chunk',
              String(CHUNK),
              '--json',
              '--log-level',
              'warn',
              '--no-progress',
            ],
            db.env,
          )
        first = await sync()
        writeNdjson(join(cacheDir, 'vanishes.ndjson'), vanishedNotes())
        second = await sync()

        const noKeyDir = join(dir, 'no-key')
        mkdirSync(noKeyDir, { recursive: true })
        writeFileSync(join(noKeyDir, 'stations.yaml'), 'sources:\n  - name: stations\n')
        writeNdjson(
          join(noKeyDir, 'stations.ndjson'),
          range(12).map((i) => ({ id: Math.ceil(i / 3), code: `ST-${i}`, serial: 1000 + i, site: i % 2 === 0 ? 'north' : 'south' })),
        )
        noKey = await runCli(
          ['sync', '--config', join(noKeyDir, 'stations.yaml'), '--cache-dir', noKeyDir, ...db.args, '--mode', mode, '--log-level', 'warn', '--no-progress'],
          db.env,
        )

        results.set(`${kind} ${mode}`, {
          tables: Object.fromEntries(TABLES.map((t) => [t, contents(db, t)])),
          checksums: db.checksum(TABLES),
          columns: Object.fromEntries(TABLES.map((t) => [t, columnsOf(db, t)])),
        })
      })

      it('both syncs exit 0 and report every source synced (the second only the changed file)', () => {
        expect(first.code, first.stderr).toBe(0)
        expect(second.code, second.stderr).toBe(0)
        expect((JSON.parse(first.stdout) as { mode: string }).mode).toBe(mode)
        for (const name of TABLES) expect(source(first, name).state, name).toBe('synced')
        expect(source(second, 'vanishes').state).toBe('synced')
        expect(source(second, 'widens').state).toBe('unchanged')
      })

      it('integers turning to text half-way: the column widens to text, the integers kept as their digits, the widening recorded', () => {
        expect(columnsOf(db, 'widens').slice(0, 3)).toEqual([
          ['id', types.integer],
          ['code', 'text'],
          ['reading', 'text'],
        ])
        // The widening stores an integer as its digits on both sinks: SQLite's rebuild through widenStored, PostgreSQL's `USING reading::text`.
        const rows = db.query<{ id: number; reading: string }>('SELECT id, reading FROM widens ORDER BY id')
        expect(rows).toHaveLength(N)
        expect(rows).toEqual(range(N).map((i) => ({ id: i, reading: expectedReading(i) })))
        expect(db.query("SELECT column_name, change, from_type, to_type FROM sync_schema_changes WHERE source = 'widens' ORDER BY id")).toEqual([
          { column_name: 'id', change: 'added', from_type: null, to_type: 'integer' },
          { column_name: 'code', change: 'added', from_type: null, to_type: 'text' },
          { column_name: 'reading', change: 'added', from_type: null, to_type: 'integer' },
          { column_name: 'reading', change: 'widened', from_type: 'integer', to_type: 'text' },
        ])
        expect(db.query("SELECT column_name, type FROM sync_schema WHERE source = 'widens' ORDER BY position")).toEqual([
          { column_name: 'id', type: 'integer' },
          { column_name: 'code', type: 'text' },
          { column_name: 'reading', type: 'text' },
        ])
        expect(source(first, 'widens').schema).toEqual({ added: [], widened: [{ column: 'reading', from: 'integer', to: 'text' }], dropped: {} })
        expect(source(first, 'widens').records).toMatchObject({ read: N, inserted: N, rejected: 0 })
      })

      it('a field that vanishes keeps its column; the records without it hold null', () => {
        expect(columnsOf(db, 'vanishes').map(([name]) => name)).toContain('note')
        expect(db.query('SELECT id, note, size FROM vanishes ORDER BY id')).toEqual(
          range(20).map((i) => ({ id: i, note: i % 2 === 0 ? null : `note ${i}`, size: i })),
        )
        expect(source(second, 'vanishes').records).toMatchObject({ read: 20, inserted: 0, updated: 10, unchanged: 10, deleted: 0 })
        expect(source(second, 'vanishes').schema).toEqual({ added: [], widened: [], dropped: {} })
      })

      it('a field first met past the sample becomes a column, null in the rows before it', () => {
        expect(columnsOf(db, 'late').filter(([name]) => name === 'late_field')).toEqual([['late_field', 'text']])
        expect(source(first, 'late').schema?.added).toEqual([{ column: 'late_field', field: 'late_field', type: 'text' }])
        const rows = db.query<{ id: number; late_field: string | null }>('SELECT id, late_field FROM late ORDER BY id')
        expect(rows).toEqual(range(LATE_RECORDS).map((i) => ({ id: i, late_field: i >= LATE_FROM ? `late ${i}` : null })))
        expect(LATE_FROM).toBeGreaterThan(SAMPLE)
      })

      it('flatten 1 and 2 make parent__child columns; arrays and deeper objects stay JSON text', () => {
        expect(columnsOf(db, 'flat1').slice(0, 5)).toEqual([
          ['id', types.integer],
          ['loc__lat', types.real],
          ['loc__lng', types.real],
          ['loc__meta', types.json],
          ['tags', types.json],
        ])
        expect(columnsOf(db, 'flat2').slice(0, 6)).toEqual([
          ['id', types.integer],
          ['loc__lat', types.real],
          ['loc__lng', types.real],
          ['loc__meta__src', 'text'],
          ['loc__meta__tags', types.json],
          ['tags', types.json],
        ])
        expect(db.query('SELECT id, loc__lat, loc__lng, CAST(loc__meta AS TEXT) AS meta, CAST(tags AS TEXT) AS tags FROM flat1 ORDER BY id')).toEqual(
          range(10).map((i) => ({ id: i, loc__lat: 50 + i / 10, loc__lng: 4.25, meta: `{"src":"gps","tags":["a","t${i}"]}`, tags: `[${i},${i + 1}]` })),
        )
        expect(db.query('SELECT id, loc__meta__src AS src, CAST(loc__meta__tags AS TEXT) AS meta_tags FROM flat2 ORDER BY id')).toEqual(
          range(10).map((i) => ({ id: i, src: 'gps', meta_tags: `["a","t${i}"]` })),
        )
      })

      it('schema: freeze rejects a record with an unknown field, or a value its column cannot hold, naming the field; the rest are synced', () => {
        const rejects = db.query<{ line: number; reason: string }>("SELECT line, reason FROM sync_rejects WHERE source = 'frozen' ORDER BY line")
        expect(rejects).toEqual([
          ...UNKNOWN_FIELD_AT.map((line) => ({ line, reason: 'extra: a field the schema does not have (schema: freeze)' })),
          { line: TEXT_IN_INTEGER_AT, reason: 'n: expected integer (schema: freeze), got "N/A"' },
        ])
        expect(source(first, 'frozen').records).toMatchObject({ read: POLICY_RECORDS, inserted: POLICY_RECORDS - 4, rejected: 4 })
        expect(source(first, 'frozen').schema).toEqual({ added: [], widened: [], dropped: {} })
        expect(columnsOf(db, 'frozen').map(([name]) => name)).not.toContain('extra')
        expect(columnsOf(db, 'frozen').find(([name]) => name === 'n')).toEqual(['n', types.integer])
        const ids = db.query<{ id: number }>('SELECT id FROM frozen ORDER BY id').map((r) => r.id)
        expect(ids).toEqual(range(POLICY_RECORDS).filter((i) => !UNKNOWN_FIELD_AT.includes(i) && i !== TEXT_IN_INTEGER_AT))
      })

      it('schema: discard drops the values, keeps the records, and counts the dropped values per field', () => {
        expect(source(first, 'discarded').schema).toEqual({ added: [], widened: [], dropped: { extra: UNKNOWN_FIELD_AT.length, n: 1 } })
        expect(source(first, 'discarded').records).toMatchObject({ read: POLICY_RECORDS, inserted: POLICY_RECORDS, rejected: 0 })
        expect(columnsOf(db, 'discarded').map(([name]) => name)).not.toContain('extra')
        const rows = db.query<{ id: number; n: number | null }>('SELECT id, n FROM discarded ORDER BY id')
        expect(rows).toEqual(range(POLICY_RECORDS).map((i) => ({ id: i, n: i === TEXT_IN_INTEGER_AT ? null : i })))
      })

      it('schema: evolve is the default: the other sources added and widened columns', () => {
        expect(db.query("SELECT DISTINCT change FROM sync_schema_changes WHERE source IN ('widens', 'late') ORDER BY change")).toEqual([
          { change: 'added' },
          { change: 'widened' },
        ])
      })

      it('integers with nulls stay an integer column', () => {
        expect(columnsOf(db, 'nulls').slice(0, 2)).toEqual([
          ['id', types.integer],
          ['count', types.integer],
        ])
        expect(db.query('SELECT id, count FROM nulls ORDER BY id')).toEqual(range(30).map((i) => ({ id: i, count: i % 4 === 1 ? null : i * 3 })))
        expect(source(first, 'nulls').schema).toEqual({ added: [], widened: [], dropped: {} })
      })

      it('no unique id and no key: exit 2, naming the candidate fields and how to set key', () => {
        expect(noKey.code, noKey.stdout + noKey.stderr).toBe(2)
        expect(noKey.stderr).toContain(
          'source stations: no key. Not every one of the first 12 records has a unique "id"; code, serial are present and unique in all of them. ' +
            "Set key: <field> (or a list) in the source's configuration.",
        )
      })
    })

    it('the three modes leave the same tables: columns, types, values and hashes', () => {
      const [reference, ...others] = MODES.map((mode) => results.get(`${kind} ${mode}`))
      expect(reference).toBeDefined()
      for (const [i, other] of others.entries()) {
        expect(other?.columns, MODES[i + 1]).toEqual(reference?.columns)
        expect(other?.tables, MODES[i + 1]).toEqual(reference?.tables)
        expect(other?.checksums, MODES[i + 1]).toEqual(reference?.checksums)
      }
      expect(reference?.checksums.widens?.rows).toBe(N)
    })
  })
})

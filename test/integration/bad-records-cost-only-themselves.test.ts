import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ConfigOptions } from '../../src/config/resolve-config.js'
import { runSync } from '../../src/engine/sync.js'
import type { SyncReport } from '../../src/engine/sync-report.js'
import { clipRaw } from '../../src/sink/sink.js'
import { MODES, type Mode, testConfig } from '../helpers/config.js'
import { useTempDir } from '../helpers/temp-dir.js'
import { requireSink, SINK_KINDS, type TestDatabase, useTestSink } from '../helpers/test-sink.js'

/**
 * Whatever one record of a cache file holds, it costs at most itself: a reject with its line and a
 * reason that names what is wrong, and every other record synced. The corpus below is one file per
 * format, synced in every mode on both sinks.
 */

const CONFIG = { sources: [{ name: 'items', key: 'id', recordsPath: 'items', columns: { id: 'integer', name: 'text', score: 'real', data: 'json' } }] }
const BOM = Buffer.from([0xef, 0xbb, 0xbf])
const DEEP = 100_000
const HUGE = 4_000_000

/** A row as the query below reads it back: a long name as its length. */
interface Row {
  id: number
  name: string | null
  score: number | null
  data: string | null
}

interface Case {
  what: string
  /** The line (NDJSON) or array element (JSON), compact, as JSON.stringify would write it unless `canonical` says otherwise. */
  text: string | Buffer
  /** The text the JSON format keeps as the reject's raw: the record written again by JSON.stringify. */
  canonical?: string
  /** NDJSON only: the line ends with CRLF. */
  crlf?: boolean
  /** Only an NDJSON line can be this (blank, not JSON, not UTF-8). */
  ndjsonOnly?: boolean
  lands?: Row
  reject?: RegExp
}

const row = (id: number, fields: Partial<Row> = {}): Row => ({ id, name: null, score: null, data: null, ...fields })
const nested = (open: string, levels: number, inner: string, close: string): string => open.repeat(levels) + inner + close.repeat(levels)
const TOO_DEEP = /^nested deeper than 1000 levels of arrays and objects$/

const CASES: Case[] = [
  // Written after a byte-order mark: see the files below.
  { what: 'the first record, after a byte-order mark', text: '{"id":1,"name":"n1"}', lands: row(1, { name: 'n1' }) },
  { what: 'an empty line', text: '', ndjsonOnly: true },
  { what: 'a line of only whitespace', text: ' \t  ', ndjsonOnly: true },
  { what: 'a record ending in CRLF', text: '{"id":4,"name":"n4"}', crlf: true, lands: row(4, { name: 'n4' }) },
  { what: 'an empty line ending in CRLF', text: '', crlf: true, ndjsonOnly: true },
  { what: '100,000 nested arrays in a json column', text: `{"id":6,"data":${nested('[', DEEP, '', ']')}}`, reject: TOO_DEEP },
  { what: '100,000 nested objects in a field no column reads', text: `{"id":7,"other":${nested('{"a":', DEEP, '1', '}')}}`, reject: TOO_DEEP },
  { what: 'a top-level array of 100,000 levels', text: nested('[', DEEP, '', ']'), reject: TOO_DEEP },
  {
    what: 'exactly 1000 levels (the record and 999 arrays)',
    text: `{"id":9,"data":${nested('[', 999, '', ']')}}`,
    lands: row(9, { data: nested('[', 999, '', ']') }),
  },
  { what: '1001 levels', text: `{"id":10,"data":${nested('[', 1000, '', ']')}}`, reject: TOO_DEEP },
  {
    what: 'a NUL character, escaped, in a text column',
    text: '{"id":11,"name":"nul\\u0000inside"}',
    reject: /^name: expected text, got "nul\\u0000inside", which holds a NUL character$/,
  },
  { what: 'a raw NUL byte in a string', text: '{"id":12,"name":"nul\u0000byte"}', ndjsonOnly: true, reject: /^malformed JSON: Bad control character/ },
  {
    what: 'a lone surrogate in a text column',
    text: '{"id":13,"name":"lone \\ud800"}',
    reject: /^name: expected text, got "lone \\ud800", which holds a lone surrogate$/,
  },
  { what: 'a surrogate pair, escaped', text: '{"id":14,"name":"\\ud83d\\ude00"}', lands: row(14, { name: '😀' }) },
  {
    what: 'bytes that are not UTF-8 (Latin-1)',
    text: Buffer.concat([Buffer.from('{"id":15,"name":"Z'), Buffer.from([0xfc]), Buffer.from('rich"}')]),
    ndjsonOnly: true,
    reject: /^not valid UTF-8: /,
  },
  { what: 'a 4 MB string', text: `{"id":16,"name":"${'x'.repeat(HUGE)}"}`, lands: row(16, { name: `long:${HUGE}` }) },
  {
    what: '1e400 in a real column',
    text: '{"id":17,"score":1e400}',
    canonical: '{"id":17,"score":null}',
    reject: /^score: expected real, got a number out of range$/,
  },
  { what: '1e400 as the key', text: '{"id":1e400}', canonical: '{"id":null}', reject: /^id: expected integer, got a number out of range$/ },
  {
    what: '1e400 inside a json column',
    text: '{"id":19,"data":[1,1e400]}',
    canonical: '{"id":19,"data":[1,null]}',
    reject: /^data: expected json, got an array, which holds a number out of range$/,
  },
  {
    what: '-1e400 in a text column',
    text: '{"id":20,"name":-1e400}',
    canonical: '{"id":20,"name":null}',
    reject: /^name: expected text, got a number out of range$/,
  },
  {
    what: 'a key beyond the exact integers',
    text: '{"id":99999999999999999999}',
    canonical: '{"id":100000000000000000000}',
    reject: /^id: expected integer, got 100000000000000000000, out of the exact integer range \(±9007199254740991\)$/,
  },
  {
    what: 'the largest exact integer and the largest double',
    text: '{"id":9007199254740991,"score":1.7976931348623157e+308}',
    lands: row(9007199254740991, { score: 1.7976931348623157e308 }),
  },
  {
    what: '__proto__ keys, top-level and nested',
    text: '{"id":23,"__proto__":{"name":"polluted"},"data":{"__proto__":{"x":1}}}',
    lands: row(23, { data: '{"__proto__":{"x":1}}' }),
  },
  { what: 'a top-level array', text: '[1,2,3]', reject: /^expected a JSON object, got an array$/ },
  { what: 'a top-level number', text: '42', reject: /^expected a JSON object, got 42$/ },
  { what: 'a top-level string', text: '"text"', reject: /^expected a JSON object, got "text"$/ },
  { what: 'a top-level null', text: 'null', reject: /^expected a JSON object, got null$/ },
  {
    what: 'a byte-order mark that is not at the start of the file',
    text: Buffer.concat([BOM, Buffer.from('{"id":28}')]),
    ndjsonOnly: true,
    reject: /^malformed JSON: Unexpected token/,
  },
  { what: 'a record cut short', text: '{"id":29,"name":"n2', ndjsonOnly: true, reject: /^malformed JSON: / },
  {
    what: 'a numeric string out of range',
    text: '{"id":30,"score":"1e400"}',
    reject: /^score: expected real, got "1e400", a number out of range$/,
  },
  { what: 'escaped tab, newline and backslash', text: '{"id":31,"name":"a\\tb\\nc\\\\d"}', lands: row(31, { name: 'a\tb\nc\\d' }) },
  {
    what: 'NUL and a lone surrogate in a json column, where JSON escapes keep them',
    text: '{"id":33,"data":{"nul":"\\u0000","lone":"\\ud800"}}',
    lands: row(33, { data: '{"nul":"\\u0000","lone":"\\ud800"}' }),
  },
  { what: 'the last record, without a newline after it', text: '{"id":32,"name":"n32"}', lands: row(32, { name: 'n32' }) },
]

const bytesOf = (c: Case): Buffer => (typeof c.text === 'string' ? Buffer.from(c.text) : c.text)

/** One line a case, the last without a line end, after a byte-order mark. */
function ndjsonFile(): Buffer {
  return Buffer.concat([BOM, ...CASES.flatMap((c, i) => (i === CASES.length - 1 ? [bytesOf(c)] : [bytesOf(c), Buffer.from(c.crlf ? '\r\n' : '\n')]))])
}

const JSON_CASES = CASES.filter((c) => !c.ndjsonOnly)

/** The JSON cases as the records array of a document, after a byte-order mark, with CRLF line ends. */
function jsonFile(): Buffer {
  return Buffer.concat([
    BOM,
    Buffer.from('{"items":[\r\n'),
    ...JSON_CASES.flatMap((c, i) => [i > 0 ? Buffer.from(',\r\n') : Buffer.alloc(0), bytesOf(c)]),
    Buffer.from('\r\n]}\r\n'),
  ])
}

interface Expected {
  line: number
  reason: RegExp
  raw: string
}

interface Format {
  format: string
  file: string
  bytes: () => Buffer
  records: number
  rejects: Expected[]
}

const ndjsonRejects = CASES.flatMap((c, i) => (c.reject === undefined ? [] : [{ line: i + 1, reason: c.reject, raw: bytesOf(c).toString('utf8') }]))
const jsonRejects = JSON_CASES.flatMap((c, i) => (c.reject === undefined ? [] : [{ line: i + 1, reason: c.reject, raw: c.canonical ?? String(c.text) }]))
const ndjsonRecords = CASES.filter((c) => bytesOf(c).toString().trim() !== '').length

const FORMATS: Format[] = [
  { format: 'ndjson', file: 'items.ndjson', bytes: ndjsonFile, records: ndjsonRecords, rejects: ndjsonRejects },
  { format: 'ndjson-gzip', file: 'items.ndjson.gz', bytes: () => gzipSync(ndjsonFile()), records: ndjsonRecords, rejects: ndjsonRejects },
  { format: 'json', file: 'items.json', bytes: jsonFile, records: JSON_CASES.length, rejects: jsonRejects },
]

const LANDED = CASES.flatMap((c) => (c.lands === undefined ? [] : [c.lands])).sort((a, b) => a.id - b.id)

const ROWS_SQL =
  "SELECT id, CASE WHEN length(name) > 100 THEN 'long:' || length(name) ELSE name END AS name, score, CAST(data AS TEXT) AS data FROM items ORDER BY id"

describe('the corpus covers what it claims', () => {
  it('every case either lands, is rejected, or is a blank line', () => {
    for (const c of CASES) expect(c.lands === undefined || c.reject === undefined, c.what).toBe(true)
    expect(ndjsonRejects).toHaveLength(20)
    expect(jsonRejects).toHaveLength(16)
    expect(LANDED).toHaveLength(10)
  })
})

describe.each(SINK_KINDS)('one bad record costs only itself (%s sink)', (kind) => {
  describe(kind, requireSink(kind), () => {
    const tmp = useTempDir()
    const database = useTestSink(kind, tmp)
    const configFile = (): string => join(tmp(), 'items-config.json')
    const reports = new Map<string, SyncReport>()
    const db = (format: string, mode: Mode): TestDatabase => database(`${format.replace('-', '_')}_${mode}`)

    beforeAll(() => {
      writeFileSync(configFile(), JSON.stringify(CONFIG))
    })

    describe.each(FORMATS)('$format file', ({ format, file, bytes, records, rejects }) => {
      // A guard against a hung sync, not a measure: six syncs of a corpus with 100,000-level records and a 4 MB line.
      beforeAll(async () => {
        const cacheDir = join(tmp(), format)
        mkdirSync(cacheDir)
        writeFileSync(join(cacheDir, file), bytes())
        for (const mode of MODES) {
          const target = db(format, mode)
          const flags: ConfigOptions & { db: string; cacheDir: string } = {
            db: target.path ?? join(tmp(), 'unused.db'),
            cacheDir,
            mode,
            // Chunks of 3 records: the streaming line numbers must carry across chunks.
            chunk: 3,
            ...(target.schema === undefined ? {} : { sink: target.target, schema: target.schema }),
          }
          reports.set(`${format} ${mode}`, await runSync(testConfig(flags, configFile())))
        }
      }, 600_000)

      it.each(MODES)('%s mode: the source syncs, counting every record and reject', (mode) => {
        const report = reports.get(`${format} ${mode}`) as SyncReport
        expect(report.mode).toBe(mode)
        const source = report.sources[0]
        expect(source?.state, source?.state === 'failed' ? source.error : '').toBe('synced')
        expect(report.ok).toBe(true)
        expect(source?.records).toEqual({ read: records, inserted: LANDED.length, updated: 0, unchanged: 0, deleted: 0, rejected: rejects.length })
      })

      it.each(MODES)('%s mode: exactly the good records landed, with their values', (mode) => {
        expect(db(format, mode).query<Row>(ROWS_SQL)).toEqual(LANDED)
      })

      it.each(MODES)('%s mode: each bad record is a reject with its line, a reason naming what is wrong, and its raw text', (mode) => {
        const rows = db(format, mode).query<{ line: number; reason: string; raw: string }>('SELECT line, reason, raw FROM sync_rejects ORDER BY line')
        expect(rows.map((r) => Number(r.line))).toEqual(rejects.map((r) => r.line))
        for (const [i, expected] of rejects.entries()) {
          const got = rows[i] as { reason: string; raw: string }
          expect(got.reason, `line ${expected.line}`).toMatch(expected.reason)
          // PostgreSQL text cannot hold NUL: the sink keeps it as U+FFFD.
          const raw = kind === 'postgres' ? expected.raw.replaceAll('\u0000', '\ufffd') : expected.raw
          expect(got.raw, `line ${expected.line}`).toBe(clipRaw(raw))
        }
      })
    })

    it('every mode and file gives a row the hash of its record text, a leading byte-order mark left out', () => {
      const hashSql =
        kind === 'postgres' ? "SELECT id, encode(_hash, 'hex') AS hash FROM items ORDER BY id" : 'SELECT id, lower(hex(_hash)) AS hash FROM items ORDER BY id'
      const reference = db('ndjson', 'sequential').query(hashSql)
      expect(reference).toHaveLength(LANDED.length)
      for (const format of ['ndjson', 'ndjson-gzip']) for (const mode of MODES) expect(db(format, mode).query(hashSql), `${format} ${mode}`).toEqual(reference)
      const json = db('json', 'sequential').query(hashSql)
      for (const mode of MODES) expect(db('json', mode).query(hashSql), `json ${mode}`).toEqual(json)
      // A JSON element hashes as JSON.stringify writes it: the same bytes as each NDJSON line but the one
      // with an escaped surrogate pair. So the first line's hash is that of its text, without the mark.
      const notEscaped = (rows: Record<string, unknown>[]): Record<string, unknown>[] => rows.filter((r) => r.id !== 14)
      expect(notEscaped(json)).toEqual(notEscaped(reference))
      expect(notEscaped(json)).toHaveLength(LANDED.length - 1)
    })
  })
})

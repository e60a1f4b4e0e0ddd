import { describe, expect, it } from 'vitest'
import { type ResolvedColumn, resolveConfig } from '../../../src/config/resolve-config.js'
import { createRecordMapper, type MapResult, mappingSpecOf } from '../../../src/engine/record-mapper.js'

type Spec = Partial<ResolvedColumn> & Pick<ResolvedColumn, 'name' | 'type'>

function column(spec: Spec): ResolvedColumn {
  return { from: [spec.name], required: false, normalize: undefined, invalid: 'reject', ...spec }
}

/** Maps one record through the given columns. */
function map(columns: Spec[], record: unknown): MapResult {
  return createRecordMapper({ columns: columns.map(column), recordsPath: [] })(record)
}

/** The one value a single column maps the field `raw` to (fails the test on a reject). */
function value(spec: Spec, raw: unknown): string | number | null {
  const result = map([spec], { [spec.name]: raw })
  if (!result.ok) throw new Error(`rejected: ${result.reason}`)
  return result.values[0] as string | number | null
}

/** The reason a single column rejects `raw` (fails the test when it is accepted). */
function reason(spec: Spec, raw: unknown): string {
  const result = map([spec], { [spec.name]: raw })
  if (result.ok) throw new Error(`accepted as ${JSON.stringify(result.values)}`)
  return result.reason
}

describe('record mapper: integer columns', () => {
  const int: Spec = { name: 'n', type: 'integer' }
  it('takes integers and numeric strings (trimmed)', () => {
    expect(value(int, 42)).toBe(42)
    expect(value(int, '42')).toBe(42)
    expect(value(int, ' 310001 ')).toBe(310001)
    expect(value(int, '-7')).toBe(-7)
    expect(value(int, '1e3')).toBe(1000)
  })
  it('maps an empty or blank string, null and an absent field to null', () => {
    expect(value(int, '')).toBeNull()
    expect(value(int, '   ')).toBeNull()
    expect(value(int, null)).toBeNull()
    expect(map([int], {})).toEqual({ ok: true, values: [null] })
  })
  it('rejects fractions, unsafe integers, text, objects and arrays, naming the column and the value', () => {
    expect(reason(int, 1.5)).toBe('n: expected integer, got 1.5')
    expect(reason(int, '2.5')).toBe('n: expected integer, got "2.5"')
    expect(reason(int, 2 ** 53)).toMatch(/^n: expected integer/)
    expect(reason(int, 'abc')).toBe('n: expected integer, got "abc"')
    expect(reason(int, {})).toBe('n: expected integer, got an object')
    expect(reason(int, [1])).toBe('n: expected integer, got an array')
  })
  it('says when a number is out of range', () => {
    expect(reason(int, 1e20)).toBe('n: expected integer, got 100000000000000000000, out of the exact integer range (±9007199254740991)')
    expect(reason(int, '99999999999999999999')).toBe('n: expected integer, got "99999999999999999999", out of the exact integer range (±9007199254740991)')
    expect(reason(int, Number.POSITIVE_INFINITY)).toBe('n: expected integer, got a number out of range')
    expect(reason(int, '1e400')).toBe('n: expected integer, got "1e400", a number out of range')
    expect(value(int, Number.MAX_SAFE_INTEGER)).toBe(Number.MAX_SAFE_INTEGER)
  })
})

describe('record mapper: real columns', () => {
  const real: Spec = { name: 'lat', type: 'real' }
  it('takes numbers and numeric strings', () => {
    expect(value(real, 47.215591)).toBe(47.215591)
    expect(value(real, '47.215591')).toBe(47.215591)
    expect(value(real, '440.58750')).toBe(440.5875)
    expect(value(real, ' -1.103299')).toBe(-1.103299)
    expect(value(real, 0)).toBe(0)
  })
  it('maps an empty string to null', () => {
    expect(value(real, '')).toBeNull()
  })
  it('rejects text that is not a number, and non-finite numbers', () => {
    expect(reason(real, 'north')).toBe('lat: expected real, got "north"')
    expect(reason(real, 'Infinity')).toMatch(/^lat: expected real/)
    expect(reason(real, {})).toBe('lat: expected real, got an object')
  })
})

describe('record mapper: text columns', () => {
  const text: Spec = { name: 'trustee', type: 'text' }
  it('keeps strings as they are (an empty string stays empty unless normalised)', () => {
    expect(value(text, 'KA6SQG')).toBe('KA6SQG')
    expect(value(text, '')).toBe('')
    expect(value(text, 'Zürich — 東京')).toBe('Zürich — 東京')
  })
  it('writes numbers and booleans as their text', () => {
    expect(value(text, 12)).toBe('12')
    expect(value(text, true)).toBe('true')
  })
  it('writes arrays and objects as JSON text', () => {
    expect(value(text, ['KA6SQG', 'WB6ECE'])).toBe('["KA6SQG","WB6ECE"]')
    expect(JSON.parse(value(text, { a: [1, { b: null }] }) as string)).toEqual({ a: [1, { b: null }] })
  })
  it('null stays null', () => {
    expect(value(text, null)).toBeNull()
  })
  it('rejects what no sink can keep as it is: NUL, a lone surrogate, a number out of range', () => {
    expect(reason(text, 'a\u0000b')).toBe('trustee: expected text, got "a\\u0000b", which holds a NUL character')
    expect(reason(text, 'x\ud800')).toBe('trustee: expected text, got "x\\ud800", which holds a lone surrogate')
    expect(reason(text, Number.POSITIVE_INFINITY)).toBe('trustee: expected text, got a number out of range')
    expect(reason(text, [1, Number.NEGATIVE_INFINITY])).toBe('trustee: expected text, got an array, which holds a number out of range')
    expect(value(text, '\ud83d\ude00')).toBe('😀')
  })
})

describe('record mapper: json columns', () => {
  it('write any value as JSON text', () => {
    const json: Spec = { name: 'talkgroups', type: 'json' }
    const talkgroups = [{ talkgroup: 2621, description: 'Berlin', timeslot: 2, discovery: 0 }]
    expect(JSON.parse(value(json, talkgroups) as string)).toEqual(talkgroups)
    expect(value(json, 'x')).toBe('"x"')
    expect(value(json, 3)).toBe('3')
    expect(value(json, null)).toBeNull()
  })
  it('reject a value holding a number out of range, which JSON.stringify would write as null', () => {
    const json: Spec = { name: 'tags', type: 'json' }
    expect(reason(json, { a: [1, Number.POSITIVE_INFINITY] })).toBe('tags: expected json, got an object, which holds a number out of range')
    expect(reason(json, Number.NEGATIVE_INFINITY)).toBe('tags: expected json, got a number out of range')
    expect(value(json, { a: null, b: 'null' })).toBe('{"a":null,"b":"null"}')
  })
})

describe('record mapper: boolean columns', () => {
  const bool: Spec = { name: 'has_valid_email', type: 'boolean' }
  it('take "0"/"1", 0/1, true/false and "true"/"false"', () => {
    for (const yes of ['1', 1, true, 'true']) expect(value(bool, yes), JSON.stringify(yes)).toBe(1)
    for (const no of ['0', 0, false, 'false']) expect(value(bool, no), JSON.stringify(no)).toBe(0)
  })
  it('map "" and null to null', () => {
    expect(value(bool, '')).toBeNull()
    expect(value(bool, null)).toBeNull()
  })
  it('reject anything else', () => {
    expect(reason(bool, 'yes')).toBe('has_valid_email: expected boolean, got "yes"')
    expect(reason(bool, 2)).toBe('has_valid_email: expected boolean, got 2')
  })
})

describe('record mapper: normalisers', () => {
  const network: Spec = { name: 'network', type: 'text', normalize: 'network' }
  it('network: the BrandMeister spellings become one', () => {
    for (const spelling of ['BM', 'bm', 'Brandmeister', 'BrandMeister', 'brandmeister', 'BRANDMEISTER', 'Brand Meister', ' BM ']) {
      expect(value(network, spelling), spelling).toBe('BrandMeister')
    }
  })
  it('network: DMR+ and the other known networks', () => {
    for (const spelling of ['DMR-plus', 'DMR+', 'dmrplus', 'DMR-Plus']) expect(value(network, spelling), spelling).toBe('DMR+')
    expect(value(network, 'dmr-marc')).toBe('DMR-MARC')
    expect(value(network, 'tgif')).toBe('TGIF')
    expect(value(network, 'FREEDMR')).toBe('FreeDMR')
  })
  it('network: "None" and blanks are no network; unknown names are kept, trimmed', () => {
    expect(value(network, 'None')).toBeNull()
    expect(value(network, '  ')).toBeNull()
    expect(value(network, ' NEDECN ')).toBe('NEDECN')
  })
  it('trim, upper, lower and empty-null', () => {
    expect(value({ name: 'c', type: 'text', normalize: 'trim' }, '  DB0ABC \t')).toBe('DB0ABC')
    expect(value({ name: 'c', type: 'text', normalize: 'upper' }, ' db0abc ')).toBe('DB0ABC')
    expect(value({ name: 'c', type: 'text', normalize: 'lower' }, ' DB0ABC ')).toBe('db0abc')
    expect(value({ name: 'c', type: 'text', normalize: 'empty-null' }, '   ')).toBeNull()
    expect(value({ name: 'c', type: 'text', normalize: 'empty-null' }, ' x ')).toBe(' x ')
  })
  it('a normaliser leaves non-strings alone', () => {
    expect(value({ name: 'c', type: 'integer', normalize: 'trim' }, 5)).toBe(5)
  })
})

describe('record mapper: records', () => {
  it('reads dotted `from` paths into nested objects', () => {
    const columns: Spec[] = [
      { name: 'id', type: 'integer' },
      { name: 'lat', type: 'real', from: ['position', 'lat'] },
      { name: 'city', type: 'text', from: ['address', 'place', 'city'] },
    ]
    expect(map(columns, { id: 1, position: { lat: '52.5' }, address: { place: { city: 'Berlin' } } })).toEqual({ ok: true, values: [1, 52.5, 'Berlin'] })
    // A missing or non-object level on the way is an absent field, not an error.
    expect(map(columns, { id: 2, position: null, address: 'Berlin' })).toEqual({ ok: true, values: [2, null, null] })
  })

  it('a required (key) column that is absent, null or empty rejects the record, naming the column', () => {
    const columns: Spec[] = [
      { name: 'radio_id', type: 'integer', required: true },
      { name: 'callsign', type: 'text' },
    ]
    const absent = map(columns, { callsign: 'DL1ABC' })
    expect(absent).toEqual({ ok: false, reason: 'radio_id: missing (it is absent; the column is required)' })
    expect(map(columns, { radio_id: null })).toEqual({ ok: false, reason: 'radio_id: missing (it is null or empty; the column is required)' })
    expect(map(columns, { radio_id: '' })).toEqual({ ok: false, reason: 'radio_id: missing (it is null or empty; the column is required)' })
  })

  it('a record that is not an object is rejected, saying what it was', () => {
    const columns: Spec[] = [{ name: 'id', type: 'integer' }]
    expect(map(columns, [1, 2])).toEqual({ ok: false, reason: 'expected a JSON object, got an array' })
    expect(map(columns, null)).toEqual({ ok: false, reason: 'expected a JSON object, got null' })
    expect(map(columns, 'text')).toEqual({ ok: false, reason: 'expected a JSON object, got "text"' })
  })

  it('values come out in column order, whatever the field order in the record', () => {
    const columns: Spec[] = [
      { name: 'b', type: 'text' },
      { name: 'a', type: 'integer' },
    ]
    expect(map(columns, { a: '1', b: 'x', extra: true })).toEqual({ ok: true, values: ['x', 1] })
  })

  it('the built-in users mapping turns the upstream shapes into its column types', () => {
    const users = resolveConfig({ env: {} }).sources.find((s) => s.name === 'users')
    if (users === undefined) throw new Error('no users source')
    const result = createRecordMapper(mappingSpecOf(users))({
      id: '40001',
      radio_id: '3100001',
      callsign: ' DL1ABC ',
      name: 'Jörg',
      has_valid_callsign: '1',
      has_valid_email: 0,
      account_unvalidated: 1,
    })
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const row = Object.fromEntries(users.columns.map((c, i) => [c.name, result.values[i]]))
    expect(row).toMatchObject({
      id: 40001,
      radio_id: 3100001,
      callsign: 'DL1ABC',
      name: 'Jörg',
      has_valid_callsign: 1,
      has_valid_email: 0,
      account_unvalidated: 1,
      city: null,
    })
  })
})

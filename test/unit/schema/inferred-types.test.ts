import { describe, expect, it } from 'vitest'
import { OpenRecordMapper } from '../../../src/engine/open-record-mapper.js'
import type { RowValues } from '../../../src/engine/record-mapper.js'
import { ColumnNamer } from '../../../src/schema/column-names.js'
import { type FieldType, joinTypes, toStored, typeOfValue, widenStored } from '../../../src/schema/field-type.js'
import { forEachField } from '../../../src/schema/flatten-record.js'
import { chooseKey, sampleFields } from '../../../src/schema/infer-schema.js'

describe('field types widen without changing a value', () => {
  it('types each JSON value', () => {
    expect([null, true, 3, 3.5, 2 ** 53, 'x', { a: 1 }, [1]].map(typeOfValue)).toEqual(['null', 'boolean', 'integer', 'real', 'real', 'text', 'json', 'json'])
  })

  it('types a string that spells a number as that number, unless the number is not all it means', () => {
    const numbers = ['110601', '-3', '0', '440.58750', '-118.8375937', '0.000123']
    expect(numbers.map(typeOfValue)).toEqual(['integer', 'integer', 'integer', 'real', 'real', 'real'])
    const texts = ['01234', '+4930123456', '1e5', '5.', '.5', ' 5', '12345678901234567890', '3.14159265358979323', 'N/A', '', '0x1F', 'Infinity']
    expect(texts.map(typeOfValue)).toEqual(texts.map(() => 'text'))
    expect(toStored('440.58750', 'real')).toBe(440.5875)
    expect(toStored('110601', 'integer')).toBe(110601)
    expect(toStored('110601', 'text')).toBe('110601')
  })

  it('joins: null gives way, integers and reals make real, any other mix text', () => {
    const cases: [FieldType, FieldType, FieldType][] = [
      ['null', 'integer', 'integer'],
      ['integer', 'null', 'integer'],
      ['integer', 'real', 'real'],
      ['real', 'integer', 'real'],
      ['integer', 'text', 'text'],
      ['boolean', 'integer', 'text'],
      ['json', 'integer', 'text'],
      ['json', 'json', 'json'],
    ]
    for (const [a, b, joined] of cases) expect(joinTypes(a, b), `${a} + ${b}`).toBe(joined)
  })

  it('stores a value as its column type holds it, and a widening gives what the wider type would have stored', () => {
    const values: unknown[] = [true, false, 5, 2.5, 'x', { a: [1] }]
    for (const value of values) {
      const type = typeOfValue(value)
      expect(widenStored(toStored(value, type), type, 'text'), JSON.stringify(value)).toBe(toStored(value, 'text'))
    }
    expect(toStored(true, 'boolean')).toBe(1)
    expect(toStored(true, 'text')).toBe('true')
    expect(widenStored(5, 'integer', 'real')).toBe(5)
  })
})

describe('flattening and names', () => {
  it('flattens objects down to the depth; arrays and empty objects stay values', () => {
    const fields: [string, unknown][] = []
    forEachField({ a: 1, b: { c: 2, d: { e: 3 } }, f: [1], g: {} }, 1, (path, value) => fields.push([path.join('.'), value]))
    expect(fields).toEqual([
      ['a', 1],
      ['b.c', 2],
      ['b.d', { e: 3 }],
      ['f', [1]],
      ['g', {}],
    ])
  })

  it('names fields as plain identifiers, unique without case, never an internal name', () => {
    const namer = new ColumnNamer(['id'])
    expect(['Last Seen', '1st', 'ID', '_hash', 'a.b'].map((field) => namer.name([field]))).toEqual(['Last_Seen', 'c_1st', 'ID_2', '_hash_2', 'a_b'])
    expect(namer.name(['loc', 'lat'])).toBe('loc__lat')
  })
})

describe('the key of a sample', () => {
  it('chooses a unique id, else names the candidates', () => {
    expect(chooseKey(sampleFields([{ id: 1 }, { id: 2 }], 0))).toEqual({ key: 'id' })
    expect(
      chooseKey(
        sampleFields(
          [
            { id: 1, code: 'a' },
            { id: 1, code: 'b' },
          ],
          0,
        ),
      ),
    ).toEqual({ candidates: ['code'] })
    expect(chooseKey(sampleFields([{ id: 1 }, { code: 'b' }], 0))).toEqual({ candidates: [] })
  })

  it('types a sampled field by every value: integers with nulls stay integers', () => {
    const fields = sampleFields([{ n: 1 }, { n: null }, { n: 3 }, { m: null }], 0)
    expect(fields.map((f) => [f.path[0], f.type])).toEqual([
      ['n', 'integer'],
      ['m', 'null'],
    ])
  })
})

describe('OpenRecordMapper', () => {
  const spec = (policy: 'evolve' | 'freeze' | 'discard') => ({
    columns: [],
    recordsPath: [],
    open: {
      flatten: 0,
      policy,
      columns: [
        { path: ['id'], type: 'integer' as const, key: true },
        { path: ['n'], type: 'integer' as const, key: false },
      ],
    },
  })

  it('evolve: adds a field as a column and widens a column, storing the chunk under its final types', () => {
    const mapper = new OpenRecordMapper(spec('evolve'))
    const rows: RowValues[] = []
    for (const record of [
      { id: 1, n: 5 },
      { id: 2, n: 'N/A', extra: true },
    ]) {
      const mapped = mapper.map(record)
      if (!mapped.ok) throw new Error(mapped.reason)
      rows.push(mapped.values)
    }
    mapper.finishRows(rows)
    expect(mapper.columns().map((c) => [c.path[0], c.type])).toEqual([
      ['id', 'integer'],
      ['n', 'text'],
      ['extra', 'boolean'],
    ])
    expect(rows).toEqual([
      [1, '5', null],
      [2, 'N/A', 1],
    ])
  })

  it('freeze rejects, naming the field; discard drops and counts', () => {
    const frozen = new OpenRecordMapper(spec('freeze'))
    expect(frozen.map({ id: 1, extra: 1 })).toEqual({ ok: false, reason: 'extra: a field the schema does not have (schema: freeze)' })
    expect(frozen.map({ id: 1, n: 'x' })).toEqual({ ok: false, reason: 'n: expected integer (schema: freeze), got "x"' })
    const discarding = new OpenRecordMapper(spec('discard'))
    expect(discarding.map({ id: 1, n: 'x', extra: 1 }).ok).toBe(true)
    expect([...discarding.dropped]).toEqual([
      ['n', 1],
      ['extra', 1],
    ])
    expect(discarding.columns()).toHaveLength(2)
  })

  it('a record without its key, or with a key of another type, is rejected and teaches the schema nothing', () => {
    const mapper = new OpenRecordMapper(spec('evolve'))
    expect(mapper.map({ n: 1, extra: 1 })).toEqual({ ok: false, reason: 'id: missing (it is the key)' })
    expect(mapper.map({ id: 'a', extra: 1 })).toEqual({ ok: false, reason: 'id: expected integer (the key\'s type), got "a"' })
    expect(mapper.columns()).toHaveLength(2)
  })

  it('rejects what neither sink can store: NUL, a lone surrogate, a number out of range', () => {
    const mapper = new OpenRecordMapper(spec('evolve'))
    expect(mapper.map({ id: 1, t: 'a\u0000b' })).toEqual({ ok: false, reason: 't: a text that holds a NUL character' })
    expect(mapper.map({ id: 1, t: '\ud800' })).toEqual({ ok: false, reason: 't: a text that holds a lone surrogate' })
    expect(mapper.map({ id: 1, t: Number.POSITIVE_INFINITY })).toEqual({ ok: false, reason: 't: a number out of range' })
  })
})

import { describe, expect, it } from 'vitest'
import { locateRecords } from '../../../src/init/locate-records.js'

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i }))

describe('locateRecords', () => {
  it('a body that is an array of objects is the records', () => {
    expect(locateRecords(rows(3))).toEqual({ path: [], records: rows(3), reason: 'the body is an array of 3 objects' })
  })

  it('picks the largest array of objects, by a dotted path, and names the others', () => {
    const found = locateRecords({ included: rows(2), meta: { count: 5 }, result: { items: rows(5) }, tags: ['a', 'b', 'c', 'd', 'e', 'f'] })
    expect(found.path).toEqual(['result', 'items'])
    expect(found.records).toHaveLength(5)
    expect(found.reason).toBe('result.items: 5 records, the largest array of objects in the body (also included with 2)')
  })

  it('on a tie, the shallower array wins, then the first', () => {
    expect(locateRecords({ deep: { items: rows(2) }, data: rows(2) }).path).toEqual(['data'])
    expect(locateRecords({ a: rows(2), b: rows(2) }).path).toEqual(['a'])
  })

  it('skips keys with a dot, which a recordsPath cannot name', () => {
    expect(locateRecords({ 'odd.key': rows(9), data: rows(1) }).path).toEqual(['data'])
  })

  it.each([
    [[], 'the body is an empty array: there is no record to propose a key and columns from'],
    [[1, 2], 'the body is an array of numbers, not of objects'],
    [[{ id: 1 }, null], 'the body is an array of objects and nulls, not of objects'],
    ['hello', 'the body is a string ("hello"), not an array of objects or an object holding one'],
    [null, 'the body is null, not an array of objects or an object holding one'],
    [{ status: 'ok', list: [1, 2] }, 'the body is an object with no array of objects in it (its keys: status, list)'],
    [
      { data: [], meta: { total: 0 } },
      'the body is an object whose only arrays of records are empty (data): there is no record to propose a key and columns from',
    ],
  ])('%j: ERR_PARSE saying what the body holds', (body, message) => {
    expect(() => locateRecords(body)).toThrow(expect.objectContaining({ code: 'ERR_PARSE', message }))
  })
})

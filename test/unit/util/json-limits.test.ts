import { describe, expect, it } from 'vitest'
import { holdsNonFinite, isNestedDeeper, stringifyJson } from '../../../src/util/json-limits.js'

const nestedArrays = (levels: number): unknown => {
  let value: unknown = 1
  for (let i = 0; i < levels; i++) value = [value]
  return value
}

describe('isNestedDeeper', () => {
  it('counts an object or array as one level, scalars as none', () => {
    expect(isNestedDeeper(1, 0)).toBe(false)
    expect(isNestedDeeper({}, 0)).toBe(true)
    expect(isNestedDeeper({ a: [1] }, 1)).toBe(true)
    expect(isNestedDeeper({ a: [1] }, 2)).toBe(false)
  })
  it('finds the deep branch among shallow ones, at any depth, without recursion', () => {
    expect(isNestedDeeper({ a: 1, b: [[]], c: nestedArrays(999) }, 1000)).toBe(false)
    expect(isNestedDeeper({ a: 1, b: [[]], c: nestedArrays(1000) }, 1000)).toBe(true)
    expect(isNestedDeeper(nestedArrays(1_000_000), 1000)).toBe(true)
  })
})

describe('stringifyJson', () => {
  it('writes what JSON.stringify writes', () => {
    const value = JSON.parse('{"a":[1,"x",null,true,{"__proto__":{"b":-0.5}}],"c":{},"d":[],"e":"\\ud800\\u0000"}') as unknown
    expect(stringifyJson(value)).toBe(JSON.stringify(value))
    expect(stringifyJson(undefined)).toBe('null')
  })
  it('writes a value too deep for JSON.stringify to the same text', () => {
    const text = `{"k":${'[{"a":'.repeat(50_000)}1${'}]'.repeat(50_000)},"z":[1e400]}`
    const value = JSON.parse(text) as unknown
    expect(() => JSON.stringify(value)).toThrow(RangeError)
    expect(stringifyJson(value)).toBe(text.replace('1e400', 'null'))
  })
})

describe('holdsNonFinite', () => {
  it('finds Infinity anywhere in a value', () => {
    expect(holdsNonFinite({ a: [1, { b: Number.NEGATIVE_INFINITY }] })).toBe(true)
    expect(holdsNonFinite(Number.POSITIVE_INFINITY)).toBe(true)
    expect(holdsNonFinite({ a: [1, null, 'Infinity', { b: 1.7976931348623157e308 }] })).toBe(false)
  })
})

import { beforeAll, describe, expect, it } from 'vitest'
import type { RowValues } from '../../../src/engine/record-mapper.js'
import { loadRowHash } from '../../../src/util/row-hash.js'
import { ValuesHasher } from '../../../src/util/values-hash.js'

describe('the values hash of a mapped row', () => {
  beforeAll(() => loadRowHash())
  const hasher = new ValuesHasher()
  const hex = (values: RowValues): string => Buffer.from(hasher.hash(values)).toString('hex')

  it('is the same for equal values, whatever row came before', () => {
    const first = hex([110601, 'Berlin', 439.5, null])
    hex(['x'.repeat(100_000), 1, 2])
    expect(hex([110601, 'Berlin', 439.5, null])).toBe(first)
  })

  it('tells apart rows that a plain concatenation would not', () => {
    const rows: RowValues[] = [
      [1, 'a'],
      ['1', 'a'],
      ['1a'],
      ['1', 'a', null],
      [null, 'a'],
      ['', 'a'],
      [1.5, 'a'],
      [1, 'a '],
      [2 ** 40, 'a'],
      [-0, 'a'],
      ['a', 1],
      ['é'],
      ['e\u0301'],
      [],
    ]
    const seen = new Set(rows.map(hex))
    expect(seen.size).toBe(rows.length)
  })

  it('encodes text of any length, grown past its first buffer', () => {
    const long = 'ü'.repeat(50_000)
    expect(hex([long])).toBe(hex([long]))
    expect(hex([long])).not.toBe(hex([`${long}x`]))
  })
})

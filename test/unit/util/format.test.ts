import { describe, expect, it } from 'vitest'
import { formatAge, formatBytes, formatDuration, formatInt, formatMiB } from '../../../src/util/format.js'

describe('format', () => {
  it('prints bytes in binary units, one decimal below 100 of a unit', () => {
    expect([0, 1023, 1024, 1536, 300 * 1024 ** 2, 16 * 1024 ** 3].map(formatBytes)).toEqual(['0 B', '1023 B', '1.0 KiB', '1.5 KiB', '300 MiB', '16.0 GiB'])
    expect(formatMiB(1234)).toBe('1,234 MiB')
  })

  it('prints a measured time in ms, s, min and h', () => {
    expect([850, 1180, 12_345, 250_000, 3 * 3_600_000 + 5 * 60_000].map(formatDuration)).toEqual(['850 ms', '1.18 s', '12.3 s', '4 min 10 s', '3 h 05 min'])
  })

  it('prints an age to the second at most, and integers with separators', () => {
    expect([42_000, 17 * 60_000 + 3000, 3 * 3_600_000 + 5 * 60_000, 52 * 3_600_000].map(formatAge)).toEqual(['42 s', '17 min', '3 h 05 min', '2 d 4 h'])
    expect(formatInt(1234567.4)).toBe('1,234,567')
  })

  it('puts in the same separators as en-US toLocaleString, which it spares the start-up', () => {
    const values = [0, -0, 0.4, -0.4, 7, 999, 1000, -1000, 12_345.5, -999_999.5, 1e15, -(2 ** 53), 2 ** 53 + 2, 1e21, Number.NaN, Number.POSITIVE_INFINITY]
    expect(values.map(formatInt)).toEqual(values.map((v) => Math.round(v).toLocaleString('en-US')))
  })
})

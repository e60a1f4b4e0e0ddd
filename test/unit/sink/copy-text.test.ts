import { describe, expect, it } from 'vitest'
import { copyText, copyValue } from '../../../src/sink/copy-text.js'

describe('COPY text format', () => {
  it('escapes backslash, tab, newline and carriage return; null is \\N; a hash is bytea hex', () => {
    expect(copyValue('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re')
    expect(copyValue('plain Zürich')).toBe('plain Zürich')
    expect(copyValue(null)).toBe('\\N')
    expect(copyValue(42)).toBe('42')
    expect(copyValue(-0.5)).toBe('-0.5')
    expect(copyValue(Buffer.from([0, 255, 16]))).toBe('\\\\x00ff10')
  })

  it('writes one line per row, tab-separated, in pieces that end on a line', () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => [i, `name\t${i}`, null])
    const pieces = [...copyText(rows)]
    expect(pieces.length).toBeGreaterThan(1)
    for (const piece of pieces) expect(piece.endsWith('\n')).toBe(true)
    const lines = pieces.join('').split('\n')
    expect(lines).toHaveLength(50_001)
    expect(lines[7]).toBe('7\tname\\t7\t\\N')
  })
})

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CopyStagingFile } from '../../../src/sink/postgres/copy-staging-file.js'
import { copyText, copyValue } from '../../../src/sink/postgres/copy-text.js'
import { useTempDir } from '../../helpers/temp-dir.js'

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

describe('a COPY staging file', () => {
  const tmp = useTempDir()

  it('holds one line per key, the last row of the key, in the order of the last rows', () => {
    const file = new CopyStagingFile(join(tmp(), 'a.copy'), [0])
    const hash = (n: number): Buffer => Buffer.from([n])
    file.add([1, 'one'], hash(1))
    file.add([2, 'two\there'], hash(2))
    file.add([1, 'one again'], hash(3))
    file.add([3, null], hash(4))
    file.finish()
    expect(readFileSync(file.path, 'utf8')).toBe('2\ttwo\\there\t\\\\x02\n1\tone again\t\\\\x03\n3\t\\N\t\\\\x04\n')
  })

  it('the next file of the thread, reusing the last one’s buffer, holds only its own rows, however many', () => {
    const first = new CopyStagingFile(join(tmp(), 'b.copy'), [0])
    for (let i = 0; i < 30_000; i++) first.add([i, 'x'.repeat(40)], Buffer.from([1]))
    first.finish()
    const second = new CopyStagingFile(join(tmp(), 'c.copy'), [0])
    second.add([7, 'seven'], Buffer.from([7]))
    second.finish()
    expect(readFileSync(second.path, 'utf8')).toBe('7\tseven\t\\\\x07\n')
    const lines = readFileSync(first.path, 'utf8').split('\n')
    expect(lines).toHaveLength(30_001)
    expect(lines[29_999]).toBe(`29999\t${'x'.repeat(40)}\t\\\\x01`)
  })
})

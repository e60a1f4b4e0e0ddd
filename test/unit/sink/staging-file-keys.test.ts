import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { StagingFile } from '../../../src/sink/sqlite/staging-file.js'
import { useTempDir } from '../../helpers/temp-dir.js'

const hash = (i: number): Buffer => Buffer.alloc(8, i)

describe('a SQLite staging file keeps the last row of each key, as INSERT OR REPLACE would', () => {
  const tmp = useTempDir()

  it('drops the earlier row of a key staged twice and puts the later one where it was staged', () => {
    const path = join(tmp(), 'rows.sqlite')
    const file = new StagingFile(path, 2, [0])
    file.add([1, 'a'], hash(1))
    file.add([2, 'b'], hash(2))
    file.add([1, 'c'], hash(3))
    file.add([3, 'd'], hash(4))
    file.add([1, 'e'], hash(5))
    file.finish()
    expect([...StagingFile.rowsOf(path)]).toEqual([
      [2, 'b', hash(2)],
      [3, 'd', hash(4)],
      [1, 'e', hash(5)],
    ])
  })

  it('tells an integer key from the same digits as text, as SQLite does', () => {
    const path = join(tmp(), 'typed.sqlite')
    const file = new StagingFile(path, 2, [0])
    file.add([1, 'number'], hash(1))
    file.add(['1', 'text'], hash(2))
    file.finish()
    expect([...StagingFile.rowsOf(path)]).toEqual([
      [1, 'number', hash(1)],
      ['1', 'text', hash(2)],
    ])
  })

  it('compares every column of a composite key', () => {
    const path = join(tmp(), 'composite.sqlite')
    const file = new StagingFile(path, 3, [0, 1])
    file.add(['a', 1, 'first'], hash(1))
    file.add(['a', 2, 'other'], hash(2))
    file.add(['a', 1, 'last'], hash(3))
    file.finish()
    expect([...StagingFile.rowsOf(path)]).toEqual([
      ['a', 2, 'other', hash(2)],
      ['a', 1, 'last', hash(3)],
    ])
  })

  it('keeps the last row of a key and the staging order across the many-row inserts and their rest', () => {
    const path = join(tmp(), 'many.sqlite')
    const file = new StagingFile(path, 2, [0])
    // 237 rows: several statements of many rows, then a rest inserted one by one; repeated keys within
    // one statement (3, 4), across two (10 at 10, 60 and 120) and between a statement and the rest (7 at 7 and 230).
    const keys = Array.from({ length: 237 }, (_, i) => (i === 60 || i === 120 ? 10 : i === 230 ? 7 : i === 4 ? 3 : i))
    keys.forEach((key, i) => file.add([key, `v${i}`], hash(i % 256)))
    file.finish()
    const last = new Map<number, number>()
    keys.forEach((key, i) => last.set(key, i))
    const expected = keys.flatMap((key, i) => (last.get(key) === i ? [[key, `v${i}`, hash(i % 256)]] : []))
    expect([...StagingFile.rowsOf(path)]).toEqual(expected)
  })

  it("refuses a row whose width is not the file's, rather than shifting values into other columns", () => {
    const file = new StagingFile(join(tmp(), 'width.sqlite'), 2, [0])
    expect(() => file.add([1, 'a', 'extra'], hash(1))).toThrow('a row of 3 values for 2 columns')
    file.discard()
  })
})

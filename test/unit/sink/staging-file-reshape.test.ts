import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { StagingFile } from '../../../src/sink/sqlite/staging-file.js'
import { useTempDir } from '../../helpers/temp-dir.js'

const hash = (i: number): Buffer => Buffer.alloc(8, i)

describe('a SQLite staging file of inferred columns', () => {
  const tmp = useTempDir()

  it('takes a new column and widens the rows staged before, reading back in the values’ order', () => {
    const path = join(tmp(), 'rows.sqlite')
    const file = new StagingFile(path, 3, [0])
    file.add([1, 1, 5], hash(1))
    file.add([2, 0, null], hash(2))
    // Column 1 met a string (boolean → text), column 2 a fraction (integer → real), and a column 3 came.
    file.reshape?.(4, [
      { index: 1, from: 'boolean', to: 'text' },
      { index: 2, from: 'integer', to: 'real' },
    ])
    file.add([3, 'maybe', 2.5, 'new'], hash(3))
    file.add([1, 'true', 7, null], hash(4))
    file.finish()
    expect([...StagingFile.rowsOf(path)]).toEqual([
      [2, 'false', null, null, hash(2)],
      [3, 'maybe', 2.5, 'new', hash(3)],
      [1, 'true', 7, null, hash(4)],
    ])
  })
})

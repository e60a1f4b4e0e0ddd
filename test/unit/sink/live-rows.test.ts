import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDatabase } from '../../../src/sink/sqlite/sqlite-driver.js'
import { readLiveRows, splitRowids } from '../../../src/sink/sqlite/sqlite-schema.js'
import { HashSetUnion } from '../../../src/util/hash-set-union.js'
import { HashSet64, PACKED_ROW_BYTES } from '../../../src/util/hash-set64.js'
import { useTempDir } from '../../helpers/temp-dir.js'

const dir = useTempDir()

/** Hashes whose bytes look like the separators and digits of the list SQLite builds, and a NUL. */
const rows: { rowid: bigint; hash: Buffer; deleted?: boolean }[] = [
  { rowid: 1n, hash: Buffer.from([0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c, 0x2c]) },
  { rowid: 44n, hash: Buffer.from('12,-,9,0', 'latin1') },
  { rowid: -5n, hash: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]) },
  { rowid: 2n ** 53n + 1n, hash: Buffer.from('abcdefgh') },
  { rowid: 2n ** 62n + 3n, hash: Buffer.from([0xff, 0x2d, 0x30, 0x39, 0x2c, 0x00, 0x2c, 0x31]) },
  { rowid: 7n, hash: Buffer.from('deleted!'), deleted: true },
]

function tableWith(name: string): ReturnType<typeof openDatabase> {
  const db = openDatabase(join(dir(), `${name}.db`))
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, "_hash" BLOB NOT NULL, "_deleted_at" TEXT)')
  const insert = db.prepare('INSERT INTO t VALUES (?, ?, ?)')
  for (const row of rows) insert.run(row.rowid, row.hash, row.deleted ? '2026-01-01' : null)
  return db
}

function unpack(packed: Buffer): { rowid: bigint; hash: string }[] {
  const out: { rowid: bigint; hash: string }[] = []
  for (let at = 0; at < packed.length; at += PACKED_ROW_BYTES) {
    out.push({ hash: packed.subarray(at, at + 8).toString('hex'), rowid: packed.readBigInt64BE(at + 8) })
  }
  return out.sort((a, b) => (a.rowid < b.rowid ? -1 : 1))
}

const live = rows
  .filter((row) => !row.deleted)
  .map((row) => ({ rowid: row.rowid, hash: row.hash.toString('hex') }))
  .sort((a, b) => (a.rowid < b.rowid ? -1 : 1))

describe('readLiveRows', () => {
  it('packs every live row as its hash and rowid, whatever bytes the hash holds and however large the rowid', () => {
    const db = tableWith('all')
    expect(unpack(readLiveRows(db, 't'))).toEqual(live)
    db.close()
  })

  it('reads an empty table as nothing', () => {
    const db = openDatabase(join(dir(), 'empty.db'))
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, "_hash" BLOB NOT NULL, "_deleted_at" TEXT)')
    expect(readLiveRows(db, 't').length).toBe(0)
    db.close()
  })

  it('reads the rowid ranges of splitRowids as parts that together hold every live row once', () => {
    const db = tableWith('parts')
    for (const parts of [1, 2, 3, 5]) {
      const ranges = splitRowids(db, 't', parts)
      expect(ranges.length).toBe(parts)
      const together = ranges.flatMap((range) => unpack(readLiveRows(db, 't', range)))
      expect(together.sort((a, b) => (a.rowid < b.rowid ? -1 : 1))).toEqual(live)
    }
    db.close()
  })

  it('a union of the parts finds and marks every row, and leaves the unseen ones for deletion', () => {
    const db = tableWith('union')
    const union = new HashSetUnion(splitRowids(db, 't', 2).map((range) => HashSet64.fromPacked(readLiveRows(db, 't', range))))
    expect(union.size).toBe(live.length)
    expect(union.markSeen(rows[0]?.hash as Buffer)).toBe(true)
    expect(union.markSeen(rows[4]?.hash as Buffer)).toBe(true)
    expect(union.markSeen(Buffer.from('notthere'))).toBe(false)
    expect(union.isSeen(rows[4]?.hash as Buffer)).toBe(true)
    expect(union.isSeen(rows[1]?.hash as Buffer)).toBe(false)
    expect(
      union
        .unseen()
        .map((row) => row.rowid)
        .sort(),
    ).toEqual([-5n, 44n, 2n ** 53n + 1n].sort())
    db.close()
  })
})

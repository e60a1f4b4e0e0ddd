import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { lastPerRowid, liveSetAfter, vanishedRows, WrittenRows } from '../../../src/engine/live-rows-after.js'
import { readLiveRowFile, writeLiveRowFile } from '../../../src/sink/sqlite/live-row-file.js'
import { HashSetUnion } from '../../../src/util/hash-set-union.js'
import { HashSet64, PACKED_ROW_BYTES } from '../../../src/util/hash-set64.js'
import { useTempDir } from '../../helpers/temp-dir.js'

function written(rows: readonly { hash: Buffer; key: number }[]): Buffer {
  const out = new WrittenRows()
  for (const row of rows) expect(out.add(row.hash, row.key)).toBe(true)
  return out.take()
}

/** hash hex → rowid of a set's members. */
function members(set: HashSet64): Map<string, bigint> {
  const packed = set.packMembers()
  const out = new Map<string, bigint>()
  for (let at = 0; at < packed.length; at += PACKED_ROW_BYTES) out.set(packed.subarray(at, at + 8).toString('hex'), packed.readBigInt64BE(at + 8))
  return out
}

const hashes = Array.from({ length: 40 }, () => randomBytes(8))
const h = (i: number): Buffer => hashes[i] as Buffer

describe('the live rows after a sync', () => {
  it('packs written rows with their integer key as the rowid, negative and large ones too; a key that is no safe integer is refused', () => {
    const packed = written([
      { hash: h(0), key: 7 },
      { hash: h(1), key: -3 },
      { hash: h(2), key: 2 ** 40 + 5 },
    ])
    expect(packed.readBigInt64BE(8)).toBe(7n)
    expect(packed.readBigInt64BE(24)).toBe(-3n)
    expect(packed.readBigInt64BE(40)).toBe(2n ** 40n + 5n)
    const rows = new WrittenRows()
    expect(rows.add(h(3), '7')).toBe(false)
    expect(rows.add(h(3), 2 ** 60)).toBe(false)
    expect(rows.add(h(3), null)).toBe(false)
  })

  it('keeps the last row written to a rowid, in the order written', () => {
    const packed = lastPerRowid([
      written([
        { hash: h(0), key: 1 },
        { hash: h(1), key: 2 },
      ]),
      written([
        { hash: h(2), key: 1 },
        { hash: h(3), key: 3 },
      ]),
    ])
    expect(packed.length / PACKED_ROW_BYTES).toBe(3)
    expect([0, 1, 2].map((i) => packed.subarray(i * 16, i * 16 + 8).toString('hex'))).toEqual([h(1), h(2), h(3)].map((x) => x.toString('hex')))
  })

  it('brings a snapshot up to date in place: unseen rows go, seen ones stay, written ones come, a row changed back comes back', () => {
    const known = HashSet64.fromPacked(written([0, 1, 2, 3].map((i) => ({ hash: h(i), key: i }))))
    known.markSeen(h(0))
    known.markSeen(h(1))
    // Row 2 was rewritten (key 2 now has hash 10), row 3 vanished, key 4 is new.
    const next = liveSetAfter(
      known,
      [
        written([
          { hash: h(10), key: 2 },
          { hash: h(11), key: 4 },
        ]),
      ],
      { repeatedRowids: true },
    )
    expect(next).toBe(known)
    expect(members(next)).toEqual(
      new Map(
        [
          [h(0), 0n],
          [h(1), 1n],
          [h(10), 2n],
          [h(11), 4n],
        ].map(([x, r]) => [(x as Buffer).toString('hex'), r as bigint]),
      ),
    )
    expect(next.markSeen(h(2))).toBe(false)
    expect(next.markSeen(h(3))).toBe(false)
    // The next sync: key 2 back to its first bytes.
    next.markSeen(h(0))
    next.markSeen(h(1))
    next.markSeen(h(11))
    const after = liveSetAfter(next, [written([{ hash: h(2), key: 2 }])], { repeatedRowids: true })
    expect(after.size).toBe(4)
    expect(after.markSeen(h(2))).toBe(true)
    expect(after.markSeen(h(10))).toBe(false)
  })

  it('a snapshot with too little room for the rows written is rebuilt bigger, not filled (a full set would never end a probe)', () => {
    const known = HashSet64.fromPacked(written([0, 1, 2].map((i) => ({ hash: h(i), key: i }))))
    expect(known.capacity).toBe(16)
    known.markSeen(h(0))
    const many = Array.from({ length: 30 }, (_, i) => ({ hash: h(i + 5), key: 100 + i }))
    const next = liveSetAfter(known, [written(many)], { repeatedRowids: true })
    expect(next.size).toBe(31)
    expect(next.used).toBeLessThanOrEqual(next.capacity * 0.6)
    for (const row of many) expect(next.markSeen(row.hash)).toBe(true)
    expect(next.markSeen(h(0))).toBe(true)
    expect(next.markSeen(h(1))).toBe(false)
  })

  it('a row left alone (its old hash seen) and written under its new bytes is kept once, with the new hash', () => {
    for (const parts of [1, 2]) {
      const rows = [0, 1, 2, 3].map((i) => ({ hash: h(i), key: i }))
      // Read in one part (brought up to date in place) or in two (rebuilt from the seen rows).
      const sets =
        parts === 1 ? [HashSet64.fromPacked(written(rows))] : [HashSet64.fromPacked(written(rows.slice(0, 2))), HashSet64.fromPacked(written(rows.slice(2)))]
      const known = parts === 1 ? (sets[0] as HashSet64) : new HashSetUnion(sets)
      for (const i of [0, 1, 2, 3]) known.markSeen(h(i))
      // Keys 1 and 3 came with other bytes and the same values: their old hashes were marked seen.
      const next = liveSetAfter(
        known,
        [
          written([
            { hash: h(21), key: 1 },
            { hash: h(23), key: 3 },
          ]),
        ],
        { repeatedRowids: true },
      )
      expect(next.size, `${parts} part(s)`).toBe(4)
      expect(members(next)).toEqual(new Map([h(0), h(21), h(2), h(23)].map((x, i) => [x.toString('hex'), BigInt(i)])))
    }
  })

  it('vanished rows: by rowid where the rows written are known, sparing a rowid written or seen; else every unseen row, by hash', () => {
    // Rowid 1 appears twice (an old hash and a newer one), as a snapshot of a row left alone could.
    const known = HashSet64.fromPacked(
      written([
        { hash: h(0), key: 0 },
        { hash: h(1), key: 1 },
        { hash: h(11), key: 1 },
        { hash: h(2), key: 2 },
        { hash: h(3), key: 3 },
      ]),
    )
    known.markSeen(h(11))
    // Key 2 was rewritten this run; keys 0 and 3 vanished; key 1's older hash is not a row of its own.
    const byRowid = vanishedRows(known, [written([{ hash: h(12), key: 2 }])])
    expect(byRowid.byRowid).toBe(true)
    expect(byRowid.rows.map((r) => r.rowid).sort()).toEqual([0n, 3n])
    const byHash = vanishedRows(known, undefined)
    expect(byHash.byRowid).toBe(false)
    expect(byHash.rows.map((r) => r.hash.toString('hex')).sort()).toEqual([h(0), h(1), h(2), h(3)].map((x) => x.toString('hex')).sort())
  })

  it('builds a new set from the rows written when there was no snapshot', () => {
    const set = liveSetAfter(undefined, [written(Array.from({ length: 30 }, (_, i) => ({ hash: h(i), key: i * 3 })))], { repeatedRowids: false })
    expect(set.size).toBe(30)
    expect(members(set).get(h(29).toString('hex'))).toBe(87n)
  })
})

describe('a file of live rows', () => {
  const tmp = useTempDir()

  it('reads back the very set written, in shared memory, removed members and all', () => {
    const set = HashSet64.fromPacked(written(Array.from({ length: 40 }, (_, i) => ({ hash: h(i), key: i }))))
    for (let i = 0; i < 30; i++) set.markSeen(h(i))
    set.settle()
    const path = join(tmp(), 'a.live')
    expect(writeLiveRowFile(path, set)).toBe(true)
    const back = readLiveRowFile(path)
    expect(back?.size).toBe(30)
    expect(members(back as HashSet64)).toEqual(members(set))
    expect(back?.markSeen(h(35))).toBe(false)
    expect(() => back?.memory).not.toThrow()
  })

  it('a torn, short, foreign or missing file reads as none', () => {
    const set = HashSet64.fromPacked(written(Array.from({ length: 40 }, (_, i) => ({ hash: h(i), key: i }))))
    const path = join(tmp(), 'b.live')
    writeLiveRowFile(path, set)
    const whole = readFileSync(path)
    const torn = Buffer.from(whole)
    torn.fill(0, torn.length - 16)
    writeFileSync(path, torn)
    expect(readLiveRowFile(path)).toBeUndefined()
    writeFileSync(path, whole.subarray(0, whole.length - 1))
    expect(readLiveRowFile(path)).toBeUndefined()
    writeFileSync(path, Buffer.from('not a file of live rows at all, no'))
    expect(readLiveRowFile(path)).toBeUndefined()
    expect(readLiveRowFile(join(tmp(), 'missing.live'))).toBeUndefined()
    writeFileSync(path, whole)
    expect(readLiveRowFile(path)?.size).toBe(40)
  })
})

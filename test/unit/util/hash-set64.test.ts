import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { HashSet64, PACKED_ROW_BYTES } from '../../../src/util/hash-set64.js'

/** Packs rows as `readLiveRows` does: the 8-byte hash, then the rowid as a signed 64-bit big-endian. */
function pack(rows: readonly { hash: Buffer; rowid: bigint }[]): Buffer {
  const packed = Buffer.alloc(rows.length * PACKED_ROW_BYTES)
  rows.forEach((row, i) => {
    row.hash.copy(packed, i * PACKED_ROW_BYTES)
    packed.writeBigInt64BE(row.rowid, i * PACKED_ROW_BYTES + 8)
  })
  return packed
}

const rows = Array.from({ length: 5000 }, (_, i) => ({ hash: randomBytes(8), rowid: BigInt(i * 7919 - 1000) }))

describe('HashSet64', () => {
  it('holds every packed row once, with its rowid, negative ones included', () => {
    const set = HashSet64.fromPacked(pack([...rows, ...rows.slice(0, 10)]))
    expect(set.size).toBe(rows.length)
    const unseen = set.unseen()
    expect(unseen).toHaveLength(rows.length)
    const byHash = new Map(unseen.map((row) => [row.hash.toString('hex'), row.rowid]))
    for (const row of rows) expect(byHash.get(row.hash.toString('hex'))).toBe(row.rowid)
    expect(byHash.get((rows[0] as { hash: Buffer }).hash.toString('hex'))).toBe(-1000n)
  })

  it('marks members seen, says no for strangers, and leaves only the unseen members', () => {
    const set = HashSet64.fromPacked(pack(rows))
    for (const row of rows.slice(0, 4000)) expect(set.markSeen(row.hash)).toBe(true)
    expect(set.markSeen(randomBytes(8))).toBe(false)
    expect(set.isSeen((rows[0] as { hash: Buffer }).hash)).toBe(true)
    expect(set.isSeen((rows[4500] as { hash: Buffer }).hash)).toBe(false)
    expect(
      set
        .unseen()
        .map((row) => row.rowid)
        .sort((a, b) => (a < b ? -1 : 1)),
    ).toEqual(rows.slice(4000).map((row) => row.rowid))
  })

  it('finds hashes at an offset inside a larger buffer', () => {
    const set = new HashSet64(10)
    const buffer = Buffer.concat([randomBytes(3), (rows[1] as { hash: Buffer }).hash, randomBytes(5)])
    set.add(buffer, 3, 0, 42)
    expect(set.markSeen((rows[1] as { hash: Buffer }).hash)).toBe(true)
    expect(set.isSeen(buffer, 3)).toBe(true)
  })

  it('in shared memory, another view of the same arrays sees and makes the same marks', () => {
    const owner = HashSet64.fromPacked(pack(rows), { shared: true })
    const other = new HashSet64(owner.memory)
    expect(other.size).toBe(rows.length)
    for (const row of rows.slice(0, 100)) expect(other.markSeen(row.hash)).toBe(true)
    expect(owner.unseen()).toHaveLength(rows.length - 100)
    expect(() => new HashSet64(3).memory).toThrow('not in shared memory')
  })

  it('visits the rowid of every member marked seen, and only those', () => {
    const set = HashSet64.fromPacked(pack(rows))
    for (const row of rows.slice(100, 300)) set.markSeen(row.hash)
    const visited: bigint[] = []
    set.visitSeenRowids((hi, lo) => visited.push(BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo))))
    expect(visited.sort((a, b) => (a < b ? -1 : 1))).toEqual(rows.slice(100, 300).map((row) => row.rowid))
  })

  it('keeps its count of used slots through adds, settles and members coming back', () => {
    const counted = (set: HashSet64): number => set.arrays.state.reduce((n, state) => n + (state === 0 ? 0 : 1), 0)
    const set = HashSet64.fromPacked(pack(rows.slice(0, 3000)))
    expect(set.used).toBe(3000)
    for (const row of rows.slice(0, 1000)) set.markSeen(row.hash)
    set.settle()
    expect(set.used).toBe(counted(set))
    set.addPacked(pack(rows.slice(2000, 4000)))
    expect(set.used).toBe(counted(set))
    expect(set.used).toBe(4000)
    const shared = HashSet64.fromPacked(pack(rows), { shared: true })
    expect(new HashSet64(shared.memory).used).toBe(rows.length)
  })
})

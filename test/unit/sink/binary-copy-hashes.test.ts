import { describe, expect, it } from 'vitest'
import { BinaryCopyHashes, tidOf } from '../../../src/sink/postgres/binary-copy-hashes.js'
import { createPgPool } from '../../../src/sink/postgres/pg-driver.js'
import { requirePostgres, usePostgres } from '../../helpers/postgres-cluster.js'

/** The packed form `HashSet64.fromPacked` reads: each hash, then the ctid's block and line as the row id. */
function packed(rows: readonly [hash: string, block: number, line: number][]): Buffer {
  return Buffer.concat(
    rows.map(([hex, block, line]) => {
      const rowid = Buffer.alloc(8)
      rowid.writeUInt32BE(block, 0)
      rowid.writeUInt32BE(line, 4)
      return Buffer.concat([Buffer.from(hex, 'hex'), rowid])
    }),
  )
}

describe('the live hashes read from a binary COPY', requirePostgres(), () => {
  const pg = usePostgres()

  /** What the server sends for `COPY (select) TO STDOUT (FORMAT binary)`, as one buffer. */
  async function copyOut(select: string): Promise<Buffer> {
    const pool = createPgPool({ url: pg.cluster().url(), max: 1, applicationName: 'binary-copy-hashes test' })
    try {
      const client = await pool.connect()
      const pieces: Buffer[] = []
      await client.copyTo(`COPY (${select}) TO STDOUT (FORMAT binary)`, (piece) => pieces.push(Buffer.from(piece)))
      client.release()
      return Buffer.concat(pieces)
    } finally {
      await pool.end()
    }
  }

  it('keeps each 8-byte hash with its ctid, in order, however the stream is cut; a null or a hash of another length is left out', async () => {
    const stream = await copyOut(
      `SELECT h, c FROM (VALUES (1, '\\x0102030405060708'::bytea, '(0,1)'::tid), (2, NULL, '(0,2)'), (3, '\\xffffffffffffffff', '(4294967295,65535)'),
         (4, '\\x01', '(1,1)'), (5, '\\x000000000000000000', '(1,2)'), (6, '\\x0a0b0c0d0e0f1011', NULL), (7, decode(repeat('ab', 100), 'hex'), '(2,1)'),
         (8, '\\x1112131415161718', '(70000,300)')) AS v(i, h, c) ORDER BY i`,
    )
    const expected = packed([
      ['0102030405060708', 0, 1],
      ['ffffffffffffffff', 4294967295, 65535],
      ['0a0b0c0d0e0f1011', 0, 0],
      ['1112131415161718', 70000, 300],
    ])
    for (let cut = 1; cut <= stream.length; cut++) {
      const hashes = new BinaryCopyHashes()
      for (let at = 0; at < stream.length; at += cut) hashes.push(stream.subarray(at, at + cut))
      expect(hashes.packed(), `pieces of ${cut} bytes`).toEqual(expected)
    }
  })

  it('reads an empty result as no hash', async () => {
    const hashes = new BinaryCopyHashes()
    hashes.push(await copyOut(`SELECT '\\x0102030405060708'::bytea, '(0,1)'::tid WHERE false`))
    expect(hashes.packed()).toEqual(Buffer.alloc(0))
  })

  it('refuses a stream cut before its end, or that is not a binary COPY', async () => {
    const stream = await copyOut(`SELECT '\\x0102030405060708'::bytea, '(0,1)'::tid`)
    const cut = new BinaryCopyHashes()
    cut.push(stream.subarray(0, stream.length - 2))
    expect(() => cut.packed()).toThrow(/ended early/)
    expect(() => new BinaryCopyHashes().push(Buffer.from('1\t\\x0102030405060708\n'.repeat(2)))).toThrow(/not a binary COPY/)
  })

  it('names a row id as the ctid it was read from, and a zero as none', () => {
    expect(tidOf((70000n << 32n) | 300n)).toBe('(70000,300)')
    expect(tidOf(BigInt.asIntN(64, (4294967295n << 32n) | 65535n))).toBe('(4294967295,65535)')
    expect(tidOf(0n)).toBeUndefined()
  })
})

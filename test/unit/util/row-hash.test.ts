import { beforeAll, describe, expect, it } from 'vitest'
import xxhash from 'xxhash-wasm'
import { loadRowHash, probeRowHash, rowHash } from '../../../src/util/row-hash.js'

beforeAll(loadRowHash)

describe('row hash', () => {
  it('hashes a long input in pieces to the same xxh64 as in one piece', async () => {
    const { h64Raw } = await xxhash()
    for (const length of [(1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 12_345]) {
      const data = Buffer.alloc(length)
      for (let i = 0; i < length; i++) data[i] = (i * 131 + (i >> 9)) & 0xff
      const whole = Buffer.alloc(8)
      whole.writeBigUInt64BE(h64Raw(data))
      expect(rowHash(data).equals(whole), `${length} bytes`).toBe(true)
      expect(Buffer.from(probeRowHash(data)).equals(whole), `${length} bytes`).toBe(true)
    }
  })
})

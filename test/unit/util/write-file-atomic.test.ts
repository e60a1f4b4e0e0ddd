import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { writeFileAtomic } from '../../../src/util/write-file-atomic.js'
import { useTempDir } from '../../helpers/temp-dir.js'

describe('writeFileAtomic', () => {
  const tmp = useTempDir()

  it('replaces the file and leaves no temp file beside it', async () => {
    const dir = join(tmp(), 'replace')
    mkdirSync(dir)
    const target = join(dir, 'a.json')
    writeFileSync(target, 'old')
    await writeFileAtomic(target, 'new')
    expect(readFileSync(target, 'utf8')).toBe('new')
    expect(readdirSync(dir)).toEqual(['a.json'])
  })

  it('writes data given in parts one after the other', async () => {
    const dir = join(tmp(), 'parts')
    mkdirSync(dir)
    const target = join(dir, 'a.bin')
    const big = Buffer.alloc(3 << 20, 7)
    await writeFileAtomic(target, [Buffer.from('head'), big, new Uint8Array(0), Buffer.from('tail')])
    expect(readFileSync(target).equals(Buffer.concat([Buffer.from('head'), big, Buffer.from('tail')]))).toBe(true)
    expect(readdirSync(dir)).toEqual(['a.bin'])
  })

  it('on a failure removes its temp file and leaves the target as it was', async () => {
    const dir = join(tmp(), 'fail')
    mkdirSync(join(dir, 'taken'), { recursive: true })
    writeFileSync(join(dir, 'taken', 'inside'), 'kept')
    // A non-empty directory cannot be renamed over.
    await expect(writeFileAtomic(join(dir, 'taken'), 'new')).rejects.toThrow()
    expect(readdirSync(dir)).toEqual(['taken'])
    expect(readFileSync(join(dir, 'taken', 'inside'), 'utf8')).toBe('kept')
  })
})

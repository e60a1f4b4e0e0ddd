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

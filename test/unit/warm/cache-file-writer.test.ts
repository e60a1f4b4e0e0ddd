import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { loadRowHash } from '../../../src/util/row-hash.js'
import { CacheFileWriter } from '../../../src/warm/cache-file-writer.js'
import { useTempDir } from '../../helpers/temp-dir.js'

const dir = useTempDir()
beforeAll(loadRowHash)
const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex')

describe('CacheFileWriter', () => {
  it('commits NDJSON and a meta file whose sha256, bytes and records describe exactly those bytes', async () => {
    const target = join(dir(), 'a.ndjson')
    const writer = await CacheFileWriter.open(target)
    writer.writeLine('{"id":1,"name":"Zoë"}')
    writer.writeLine('{"id":2}')
    expect(existsSync(target)).toBe(false)
    const written = await writer.commit({ fetchedAt: '2026-01-01T00:00:00.000Z', source: 'http://h/a' })
    const bytes = readFileSync(target)
    expect(bytes.toString()).toBe('{"id":1,"name":"Zoë"}\n{"id":2}\n')
    expect(written).toEqual({ records: 2, bytes: bytes.length, sha256: sha256(bytes) })
    const meta = JSON.parse(readFileSync(join(dir(), 'a.meta.json'), 'utf8'))
    expect(meta).toEqual({ fetchedAt: '2026-01-01T00:00:00.000Z', source: 'http://h/a', records: 2, bytes: bytes.length, sha256: sha256(bytes) })
    expect(readdirSync(dir()).filter((n) => n.includes('tmp'))).toEqual([])
  })

  it('abort leaves the old file and meta byte for byte, and no temp file', async () => {
    const target = join(dir(), 'b.ndjson')
    writeFileSync(target, 'old\n')
    writeFileSync(join(dir(), 'b.meta.json'), '{"old":true}')
    const writer = await CacheFileWriter.open(target)
    for (let i = 0; i < 50_000; i++) writer.writeLine(`{"id":${i}}`)
    await writer.flush()
    await writer.abort()
    expect(readFileSync(target, 'utf8')).toBe('old\n')
    expect(readFileSync(join(dir(), 'b.meta.json'), 'utf8')).toBe('{"old":true}')
    expect(readdirSync(dir()).filter((n) => n.startsWith('b.'))).toEqual(['b.meta.json', 'b.ndjson'])
  })

  it('rolls back to a mark: the bytes, the count and the hash are as if the later lines were never written', async () => {
    const target = join(dir(), 'c.ndjson')
    const writer = await CacheFileWriter.open(target)
    writer.writeLine('{"page":1}')
    const mark = await writer.mark()
    for (let i = 0; i < 30_000; i++) writer.writeLine(`{"half-written":${i}}`)
    await writer.flush()
    await writer.rollback(mark)
    writer.writeLine('{"page":2}')
    const written = await writer.commit({})
    expect(readFileSync(target, 'utf8')).toBe('{"page":1}\n{"page":2}\n')
    expect(written).toEqual({ records: 2, bytes: 22, sha256: sha256('{"page":1}\n{"page":2}\n') })
  })

  it('keeps the order of lines longer than its buffer among short ones', async () => {
    const target = join(dir(), 'd.ndjson')
    const writer = await CacheFileWriter.open(target)
    const long = `{"blob":"${'x'.repeat(2_000_000)}"}`
    writer.writeLine('{"n":1}')
    writer.writeLine(long)
    expect(writer.full).toBe(true)
    await writer.flush()
    writer.writeLine('{"n":3}')
    const written = await writer.commit({})
    const lines = readFileSync(target, 'utf8').split('\n')
    expect(lines.map((l) => l.slice(0, 8))).toEqual(['{"n":1}', '{"blob":', '{"n":3}', ''])
    expect(written.bytes).toBe(long.length + 1 + 16)
  })

  it('keeps every byte in order and hashed while many buffers are written at once', async () => {
    const target = join(dir(), 'e.ndjson')
    const writer = await CacheFileWriter.open(target)
    const expected: string[] = []
    for (let i = 0; i < 120_000; i++) {
      const line = `{"id":${i},"pad":"${'p'.repeat(i % 97)}"}`
      expected.push(line)
      if (i % 3 === 0) writer.writeRecord(Buffer.from(`xx${line}yy`), 2, line.length + 2)
      else writer.writeLine(line)
      if (i % 1000 === 0) {
        // Runs of lines in one piece: a short one is copied, a long one written from where it lies.
        const run = Array.from({ length: i % 2000 === 0 ? 3 : 300 }, (_, k) => `{"run":${i},"k":${k}}`)
        writer.writeRecords(Buffer.from(run.join('\n')), run.length)
        expected.push(...run)
      }
      if (writer.full) await writer.flush()
    }
    const written = await writer.commit({})
    const bytes = readFileSync(target)
    expect(bytes.length).toBeGreaterThan(8 << 20)
    expect(bytes.toString()).toBe(`${expected.join('\n')}\n`)
    expect(written).toEqual({ records: expected.length, bytes: bytes.length, sha256: sha256(bytes) })
  })

  describe('when the disk fails a write', () => {
    afterEach(() => vi.restoreAllMocks())

    it('throws it, without waiting for ever on buffers that never came back, and abort keeps the old file', async () => {
      const target = join(dir(), 'f.ndjson')
      writeFileSync(target, 'old\n')
      // FileHandle is not exported: its prototype, from a handle.
      const probe = await open(join(dir(), 'probe'), 'w')
      const prototype = Object.getPrototypeOf(probe) as { writev: (...args: unknown[]) => Promise<unknown> }
      await probe.close()
      const writev = prototype.writev
      let calls = 0
      vi.spyOn(prototype, 'writev').mockImplementation(function (this: unknown, ...args: unknown[]) {
        if (++calls > 2) return Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }))
        return writev.apply(this, args)
      })
      const writer = await CacheFileWriter.open(target)
      const writeAll = async (): Promise<void> => {
        for (let i = 0; i < 200_000; i++) {
          writer.writeLine(`{"id":${i},"pad":"${'p'.repeat(40)}"}`)
          if (writer.full) await writer.flush()
        }
        await writer.commit({})
      }
      await expect(writeAll()).rejects.toMatchObject({ code: 'ENOSPC' })
      await writer.abort()
      expect(readFileSync(target, 'utf8')).toBe('old\n')
      expect(readdirSync(dir()).filter((n) => n.startsWith('f.'))).toEqual(['f.ndjson'])
    })
  })
})

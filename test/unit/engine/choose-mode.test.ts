import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { chooseMode } from '../../../src/engine/choose-mode.js'
import { probeMemory } from '../../../src/engine/memory-probe.js'
import { useTempDir } from '../../helpers/temp-dir.js'

const MB = 1024 * 1024
const GB = 1024 * MB

type Budget = Parameters<typeof chooseMode>[0]['memory']

const cgroup = (availableBytes: number): Budget => ({ availableBytes, source: 'cgroup v2' })

/** Auto mode, no explicit chunk, a small cache (one 40 MB file of 100 MB in all) unless said otherwise. */
function auto(availableBytes: number, cache: { cacheBytes?: number; largestFileBytes?: number; chunk?: number } = {}) {
  return chooseMode({
    requested: 'auto',
    chunk: cache.chunk,
    memory: cgroup(availableBytes),
    cacheBytes: cache.cacheBytes ?? 100 * MB,
    largestFileBytes: cache.largestFileBytes ?? 40 * MB,
  })
}

describe('chooseMode: auto follows the memory really available', () => {
  it('256 MB → streaming, chunk 500', () => {
    const choice = auto(256 * MB)
    expect(choice).toMatchObject({ mode: 'streaming', chunk: 500 })
    expect(choice.reason).toMatch(/^auto: /)
    expect(choice.reason).toContain('256 MiB available (cgroup v2)')
    expect(choice.reason).toContain('100 MiB of cache')
    expect(choice.reason).toContain('streaming, chunk 500')
  })

  it('1 GB → streaming, chunk 1000', () => {
    expect(auto(1 * GB)).toMatchObject({ mode: 'streaming', chunk: 1000 })
  })

  it('4 GB → streaming, chunk 2000', () => {
    expect(auto(4 * GB)).toMatchObject({ mode: 'streaming', chunk: 2000 })
  })

  it('16 GB with a cache that fits → parallel', () => {
    const choice = auto(16 * GB)
    expect(choice.mode).toBe('parallel')
    expect(choice.reason).toContain('16.0 GiB available (cgroup v2)')
    expect(choice.reason).toContain('parallel')
  })

  it('16 GB with a cache under 64 MiB → streaming: one thread is faster than a pool there', () => {
    const choice = auto(16 * GB, { cacheBytes: 30 * MB, largestFileBytes: 20 * MB })
    expect(choice).toMatchObject({ mode: 'streaming', chunk: 2000 })
    expect(choice.reason).toContain('under 64 MiB of cache: one thread is faster than a pool')
    expect(auto(16 * GB, { cacheBytes: 64 * MB - 1 }).mode).toBe('streaming')
    expect(auto(16 * GB, { cacheBytes: 64 * MB }).mode).toBe('parallel')
    expect(auto(16 * GB, { cacheBytes: 30 * MB, chunk: 444 })).toMatchObject({ mode: 'streaming', chunk: 444 })
  })

  it('16 GB with a cache too large to hold whole, but one file at a time fits → sequential', () => {
    const choice = auto(16 * GB, { cacheBytes: 6 * GB, largestFileBytes: 1 * GB })
    expect(choice.mode).toBe('sequential')
  })

  it('16 GB with files too large to hold whole → streaming, never a whole-file mode', () => {
    const choice = auto(16 * GB, { cacheBytes: 6 * GB, largestFileBytes: 5 * GB })
    expect(choice).toMatchObject({ mode: 'streaming', chunk: 2000 })
    expect(choice.reason).toContain('streaming, chunk 2000')
  })

  it('the thresholds are "under": exactly 512 MiB, 2 GiB and 8 GiB move up a step', () => {
    expect(auto(512 * MB - 1).chunk).toBe(500)
    expect(auto(512 * MB)).toMatchObject({ mode: 'streaming', chunk: 1000 })
    expect(auto(2 * GB)).toMatchObject({ mode: 'streaming', chunk: 2000 })
    expect(auto(8 * GB).mode).toBe('parallel')
  })

  it('an explicit chunk is kept, and the reason says so', () => {
    const choice = auto(256 * MB, { chunk: 777 })
    expect(choice).toMatchObject({ mode: 'streaming', chunk: 777 })
    expect(choice.reason).toContain('chunk 777')
    expect(auto(16 * GB, { chunk: 333 })).toMatchObject({ mode: 'parallel', chunk: 333 })
  })

  it('an explicit mode is obeyed whatever the memory, with the budget in the reason', () => {
    const choice = chooseMode({ requested: 'parallel', chunk: undefined, memory: cgroup(256 * MB), cacheBytes: 10 * GB, largestFileBytes: 5 * GB })
    expect(choice.mode).toBe('parallel')
    expect(choice.chunk).toBeGreaterThan(0)
    expect(choice.reason).toMatch(/^requested; 256 MiB available/)
    expect(chooseMode({ requested: 'sequential', chunk: 50, memory: cgroup(16 * GB), cacheBytes: 1, largestFileBytes: 1 })).toMatchObject({
      mode: 'sequential',
      chunk: 50,
    })
  })
})

describe('probeMemory: the cgroup limit, not only the host', () => {
  const tmp = useTempDir()
  let n = 0
  /** A fake cgroup root holding the given files (paths relative to the root). */
  function fakeCgroup(files: Record<string, string>): string {
    const root = join(tmp(), `cgroup-${++n}`)
    mkdirSync(join(root, 'memory'), { recursive: true })
    for (const [path, content] of Object.entries(files)) writeFileSync(join(root, path), content)
    return root
  }

  it('cgroup v2: memory.max less memory.current', () => {
    const root = fakeCgroup({ 'memory.max': `${100 * MB}\n`, 'memory.current': `${30 * MB}\n` })
    expect(probeMemory({}, root)).toEqual({ availableBytes: 70 * MB, source: 'cgroup v2' })
  })

  it('cgroup v2 without a usage file: the whole limit', () => {
    const root = fakeCgroup({ 'memory.max': `${200 * MB}\n` })
    expect(probeMemory({}, root)).toEqual({ availableBytes: 200 * MB, source: 'cgroup v2' })
  })

  it('cgroup v2 usage above the limit: nothing available, not a negative number', () => {
    const root = fakeCgroup({ 'memory.max': `${100 * MB}`, 'memory.current': `${120 * MB}` })
    expect(probeMemory({}, root)).toEqual({ availableBytes: 0, source: 'cgroup v2' })
  })

  it('cgroup v1: memory/memory.limit_in_bytes less memory/memory.usage_in_bytes', () => {
    const root = fakeCgroup({ 'memory/memory.limit_in_bytes': `${300 * MB}\n`, 'memory/memory.usage_in_bytes': `${44 * MB}\n` })
    expect(probeMemory({}, root)).toEqual({ availableBytes: 256 * MB, source: 'cgroup v1' })
  })

  it('no limit ("max" in v2, the huge v1 sentinel, or no cgroup files): the host figure', () => {
    const host = probeMemory({}, fakeCgroup({}))
    expect(host.source).toBe('host')
    expect(host.availableBytes).toBeGreaterThan(0)
    expect(probeMemory({}, fakeCgroup({ 'memory.max': 'max\n', 'memory.current': `${10 * MB}` })).source).toBe('host')
    expect(probeMemory({}, fakeCgroup({ 'memory/memory.limit_in_bytes': '9223372036854771712\n' })).source).toBe('host')
  })

  it('a cgroup limit above what the host has left: the host figure, the smaller of the two', () => {
    const host = probeMemory({}, fakeCgroup({}))
    const root = fakeCgroup({ 'memory.max': `${host.availableBytes * 4}` })
    const budget = probeMemory({}, root)
    expect(budget.source).toBe('host')
    expect(budget.availableBytes).toBeLessThan(host.availableBytes * 4)
  })

  it('CACHESYNC_MEMORY_LIMIT_MB overrides the detection, even under a cgroup limit', () => {
    const root = fakeCgroup({ 'memory.max': `${100 * MB}` })
    expect(probeMemory({ CACHESYNC_MEMORY_LIMIT_MB: '300' }, root)).toEqual({ availableBytes: 300 * MB, source: 'override' })
    expect(probeMemory({ CACHESYNC_MEMORY_LIMIT_MB: '16384' }, root)).toEqual({ availableBytes: 16 * GB, source: 'override' })
  })

  it('an unusable override (empty, zero, negative, not a number) is ignored', () => {
    const root = fakeCgroup({ 'memory.max': `${100 * MB}` })
    for (const value of ['', '0', '-5', 'lots']) {
      expect(probeMemory({ CACHESYNC_MEMORY_LIMIT_MB: value }, root), value).toEqual({ availableBytes: 100 * MB, source: 'cgroup v2' })
    }
  })

  it('the budget feeds the choice: a 300 MB container gets streaming, chunk 500', () => {
    const root = fakeCgroup({ 'memory.max': `${400 * MB}`, 'memory.current': `${100 * MB}` })
    const choice = chooseMode({ requested: 'auto', chunk: undefined, memory: probeMemory({}, root), cacheBytes: 50 * MB, largestFileBytes: 30 * MB })
    expect(choice).toMatchObject({ mode: 'streaming', chunk: 500 })
    expect(choice.reason).toContain('300 MiB available (cgroup v2)')
  })
})

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { dmrDataset, generateDmrCache } from '../../../src/generate/dmr-generator.js'
import { useTempDir } from '../../helpers/temp-dir.js'

const dir = useTempDir()

describe('dmrDataset (what the demo API serves)', () => {
  it.each([0, 0.3])('gives, position by position, the very lines generate writes (change rate %s)', async (changeRate) => {
    const cacheDir = join(dir(), `rate-${changeRate}`)
    await generateDmrCache({ records: 3000, cacheDir, seed: 5, changeRate })
    for (const source of dmrDataset({ records: 3000, seed: 5, changeRate })) {
      const lines = readFileSync(join(cacheDir, `${source.name}.ndjson`), 'utf8')
        .split('\n')
        .slice(0, -1)
      expect(source.records).toBe(lines.length)
      expect(Array.from({ length: source.records }, (_, i) => source.recordAt(i))).toEqual(lines)
    }
  })
})

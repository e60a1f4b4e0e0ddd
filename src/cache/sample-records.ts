import type { CacheFile } from './cache-files.js'
import { streamJsonRecords, streamLines } from './stream-records.js'

/**
 * The first `count` records of a cache file, parsed; a line that is not JSON is left out (the sync
 * rejects it with its reason). Reads no further than it needs.
 */
export async function sampleRecords(file: CacheFile, recordsPath: readonly string[], count: number): Promise<unknown[]> {
  const batches = file.format === 'json' ? streamJsonRecords(file, recordsPath, count) : streamLines(file, count)
  for await (const batch of batches) {
    if (batch.kind === 'records') return batch.items.slice(0, count)
    const records: unknown[] = []
    for (const line of batch.items) {
      try {
        records.push(JSON.parse(line.toString('utf8')))
      } catch {}
    }
    return records
  }
  return []
}

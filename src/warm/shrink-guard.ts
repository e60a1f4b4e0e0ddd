import { createReadStream } from 'node:fs'

/**
 * How far a fetch may shrink a source before the warm refuses it. An upstream that answers 200 with an empty
 * array (a maintenance page, a half-restored database) would otherwise replace a good cache, and the next sync
 * would delete every row of the table.
 */
export interface ShrinkPolicy {
  /** A fetch with fewer records is refused whatever the cache held. @default 1 when the cache held records */
  readonly minRecords: number | undefined
  /** The largest fraction of the cached records a fetch may drop, 0..1; 1 accepts any shrink. */
  readonly maxShrink: number
}

/** Why a fetch of `fetched` records may not replace a cache of `cached` records, or undefined when it may. */
export function shrinkRefusal(cached: number, fetched: number, policy: ShrinkPolicy): string | undefined {
  const minimum = policy.minRecords ?? (cached > 0 ? 1 : 0)
  if (fetched < minimum) {
    return `upstream returned ${count(fetched)}, fewer than the ${count(minimum)} the source must have (minRecords)`
  }
  if (cached === 0 || fetched >= cached) return undefined
  const dropped = (cached - fetched) / cached
  if (dropped <= policy.maxShrink) return undefined
  return (
    `upstream returned ${count(fetched)} where the cache holds ${count(cached)}: a drop of ${percent(dropped)}, ` +
    `more than the ${percent(policy.maxShrink)} allowed (maxShrink)`
  )
}

/** The records in an NDJSON cache file without a meta file: its lines, counted without parsing. */
export async function countCachedRecords(file: string): Promise<number> {
  let lines = 0
  let last = 10
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines++
      last = chunk[chunk.length - 1] ?? last
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw err
  }
  return last === 10 ? lines : lines + 1
}

function count(records: number): string {
  return `${records.toLocaleString('en-US')} record${records === 1 ? '' : 's'}`
}

function percent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10} %`
}

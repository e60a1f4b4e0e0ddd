import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveConfig } from '../../../src/config/resolve-config.js'
import type { ResolvedIncremental } from '../../../src/config/resolve-warm.js'
import { CursorTracker } from '../../../src/warm/incremental-fetch.js'
import { useTempDir } from '../../helpers/temp-dir.js'

const dir = useTempDir()
const TIMESTAMP: ResolvedIncremental = { param: 'since', field: ['meta', 'updated'], kind: 'timestamp', lag: 60_000, fullEveryMs: 86_400_000 }
const NUMBER: ResolvedIncremental = { param: 'after', field: ['version'], kind: 'number', lag: 10, fullEveryMs: 86_400_000 }

describe('the cursor of an incremental fetch', () => {
  it('is the newest timestamp seen less the lag; null, missing and unparsable values are counted, not used', () => {
    const tracker = new CursorTracker(TIMESTAMP)
    for (const line of [
      '{"meta":{"updated":"2026-06-01T10:00:00Z"}}',
      '{"meta":{"updated":"2026-06-01T12:00:00Z"}}',
      '{"meta":{"updated":null}}',
      '{"meta":{}}',
      '{"meta":{"updated":"yesterday"}}',
      '{"other":1}',
    ]) {
      tracker.observe(line)
    }
    expect(tracker.nullCursor).toBe(4)
    expect(tracker.newest(null)).toBe('2026-06-01T12:00:00Z')
    expect(tracker.nextCursor(tracker.newest(null))).toBe('2026-06-01T11:59:00.000Z')
    // A cursor saved earlier that is newer stays: the cursor never goes back.
    expect(tracker.newest('2026-07-01T00:00:00Z')).toBe('2026-07-01T00:00:00Z')
  })

  it('reads a time without a zone as UTC, and sends it back in the form the API wrote it', () => {
    const tracker = new CursorTracker(TIMESTAMP)
    tracker.observe('{"meta":{"updated":"2026-06-01 10:00:30"}}')
    expect(tracker.nextCursor(tracker.newest(null))).toBe('2026-06-01 09:59:30')
    expect(tracker.nextCursor('2026-06-01T10:00:30.250')).toBe('2026-06-01T09:59:30.250')
    expect(tracker.nextCursor('2026-06-01T12:00:00+02:00')).toBe('2026-06-01T09:59:00.000Z')
  })

  it('of kind number takes numbers and numeric strings, the lag an amount', () => {
    const tracker = new CursorTracker(NUMBER)
    for (const line of ['{"version":7}', '{"version":"41"}', '{"version":true}', '{"version":""}']) tracker.observe(line)
    expect(tracker.newest(null)).toBe('41')
    expect(tracker.nextCursor('41')).toBe(31)
    expect(tracker.nullCursor).toBe(2)
  })

  it('forgets a page rolled back (fetched again after a failure half-way)', () => {
    const tracker = new CursorTracker(NUMBER)
    tracker.pageStart()
    tracker.observe('{"version":5}')
    tracker.pageStart()
    tracker.observe('{"version":90}')
    tracker.observe('{}')
    tracker.rollback()
    expect(tracker.newest(null)).toBe(5)
    expect(tracker.nullCursor).toBe(0)
  })
})

describe('incremental: in the configuration', () => {
  const resolveWith = (incremental: unknown, url: string | null = 'https://api.example/x') => {
    const path = join(dir(), `c-${Math.random().toString(36).slice(2)}.json`)
    writeFileSync(path, JSON.stringify({ sources: [{ name: 'x', key: 'id', ...(url === null ? {} : { url }), incremental }] }))
    return resolveConfig({ env: {}, configFile: path, flags: { cacheDir: join(dir(), 'cache') }, cwd: dir() })
  }

  it('resolves the defaults: timestamp, five minutes of lag, a full fetch a day', () => {
    expect(resolveWith({ param: 'updated_since', field: 'data.updated_at' }).sources[0]?.http?.incremental).toEqual({
      param: 'updated_since',
      field: ['data', 'updated_at'],
      kind: 'timestamp',
      lag: 300_000,
      fullEveryMs: 86_400_000,
    })
    expect(resolveWith({ param: 'after', field: 'v', kind: 'number', lag: 100, fullEvery: '6h' }).sources[0]?.http?.incremental).toMatchObject({
      kind: 'number',
      lag: 100,
      fullEveryMs: 21_600_000,
    })
  })

  it('names what is wrong: a lag of the wrong kind, a missing field, no url', () => {
    expect(() => resolveWith({ param: 'after', field: 'v', kind: 'number', lag: '5m' })).toThrow(
      /sources\[0\]\.incremental\.lag: must be a number of 0 or more where kind is number/,
    )
    expect(() => resolveWith({ param: 'since', field: 'v', lag: 'soon' })).toThrow(/sources\[0\]\.incremental\.lag: must be a duration such as 30s or 5m/)
    expect(() => resolveWith({ param: 'since' })).toThrow(/sources\[0\]\.incremental\.field/)
    expect(() => resolveWith({ param: 'since', field: 'v' }, null)).toThrow(/sources\[0\] \(x\)\.incremental: needs a url to fetch from/)
  })
})

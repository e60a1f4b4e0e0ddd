import { describe, expect, it } from 'vitest'
import { niceMax, renderHistorySvg } from '../../../src/ops/history-plot.js'
import type { RecordedRun } from '../../../src/sink/recorded-run.js'
import { allElements, parseXml } from '../../helpers/xml.js'

function run(id: number, totalMs: number | undefined, recordsPerSec: number, outcome: RecordedRun['outcome'] = 'ok'): RecordedRun {
  return {
    id,
    startedAt: `2026-11-${String(id).padStart(2, '0')}T10:00:00.000Z`,
    endedAt: undefined,
    outcome,
    mode: 'parallel',
    chunk: 2000,
    workers: 2,
    records: { read: 1000, inserted: 0, updated: 0, unchanged: 0, deleted: 0, rejected: 0 },
    phases: totalMs === undefined ? undefined : { dbInit: 1, read: 1, transform: 1, write: 1, finalize: 1, total: totalMs },
    recordsPerSec,
    peakRssMb: 100,
    error: undefined,
    pid: 1,
    host: 'h',
    sources: [],
  }
}

const points = (svg: string, cls: string) => allElements(parseXml(svg)).filter((e) => e.name === 'circle' && e.attributes.class === cls)

describe('renderHistorySvg', () => {
  it('is well-formed SVG with one point per timed run in each panel, oldest left, failed runs red', () => {
    // Newest first, as readRuns gives them; run 3 was killed (no times) and is not drawn.
    const runs = [run(5, 900, 50_000), run(4, 7400, 2_000, 'partial'), run(3, undefined, 0, 'interrupted'), run(2, 1180, 40_000), run(1, 1000, 45_000)]
    const svg = renderHistorySvg(runs, { title: 'history of <db> & "x"' })
    const root = parseXml(svg)
    expect(root.name).toBe('svg')
    expect(root.attributes.xmlns).toBe('http://www.w3.org/2000/svg')
    const time = points(svg, 'time')
    const rate = points(svg, 'rate')
    expect(time.map((c) => c.attributes['data-run'])).toEqual(['1', '2', '4', '5'])
    expect(rate.map((c) => c.attributes['data-run'])).toEqual(['1', '2', '4', '5'])
    const xs = time.map((c) => Number(c.attributes.cx))
    expect(xs).toEqual([...xs].sort((a, b) => a - b))
    // Higher value, higher on the page (smaller y): run 4 took longest.
    const ys = time.map((c) => Number(c.attributes.cy))
    expect(Math.min(...ys)).toBe(ys[2])
    expect(time[2]?.attributes.fill).toBe('#c62828')
    expect(time[0]?.attributes.fill).not.toBe('#c62828')
    expect(time[2]?.children[0]?.text).toBe('run 4 partial, 2026-11-04T10:00:00.000Z: 7.4 s')
    expect(svg).toContain('history of &lt;db&gt; &amp; &quot;x&quot;')
    expect(allElements(root).filter((e) => e.name === 'polyline')).toHaveLength(2)
  })

  it('with no timed run: a well-formed SVG that says so', () => {
    const svg = renderHistorySvg([])
    expect(points(svg, 'time')).toHaveLength(0)
    expect(svg).toContain('no finished sync recorded yet')
    expect(parseXml(svg).name).toBe('svg')
  })

  it('one run: one point per panel, no line', () => {
    const svg = renderHistorySvg([run(1, 500, 10)])
    expect(points(svg, 'time')).toHaveLength(1)
    expect(allElements(parseXml(svg)).filter((e) => e.name === 'polyline')).toHaveLength(0)
  })

  it('axes end on round numbers at or above the largest value', () => {
    expect([0.3, 0.52, 1, 1.2, 7.4, 40_000, 63_143, 0].map(niceMax)).toEqual([0.5, 1, 1, 2, 10, 50_000, 100_000, 1])
  })
})

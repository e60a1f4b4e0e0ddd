import { describe, expect, it } from 'vitest'
import { formatPrometheus } from '../../../src/metrics/prometheus-text.js'

describe('formatPrometheus', () => {
  it('HELP and TYPE before the samples, labels quoted and escaped, special values spelled out', () => {
    const text = formatPrometheus([
      { name: 'cachesync_a_seconds', help: 'A time.\nSecond line \\ here', type: 'gauge', samples: [{ value: 1.5 }] },
      {
        name: 'cachesync_b',
        help: 'B.',
        type: 'counter',
        samples: [{ labels: { source: 'we"ird\\name\n', outcome: 'read' }, value: 3 }, { labels: {}, value: Number.NaN }, { value: Number.POSITIVE_INFINITY }],
      },
    ])
    expect(text).toBe(
      [
        '# HELP cachesync_a_seconds A time.\\nSecond line \\\\ here',
        '# TYPE cachesync_a_seconds gauge',
        'cachesync_a_seconds 1.5',
        '# HELP cachesync_b B.',
        '# TYPE cachesync_b counter',
        'cachesync_b{source="we\\"ird\\\\name\\n",outcome="read"} 3',
        'cachesync_b NaN',
        'cachesync_b +Inf',
        '',
      ].join('\n'),
    )
  })

  it('refuses a name without the prefix or a bad label name: a bug, not output', () => {
    expect(() => formatPrometheus([{ name: 'other_metric', help: 'x', type: 'gauge', samples: [] }])).toThrow(/bad metric name other_metric/)
    expect(() => formatPrometheus([{ name: 'cachesync_x', help: 'x', type: 'gauge', samples: [{ labels: { 'bad-label': 'v' }, value: 1 }] }])).toThrow(
      /bad label name/,
    )
  })
})

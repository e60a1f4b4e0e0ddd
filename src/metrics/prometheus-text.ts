import { existsSync, statSync } from 'node:fs'
import { dirname } from 'node:path'
import { CachesyncError } from '../util/errors.js'
import { writeFileAtomic } from '../util/write-file-atomic.js'

/** One sample: its labels and value. */
export interface Sample {
  readonly labels?: Readonly<Record<string, string>>
  readonly value: number
}

/** A metric family: one HELP and TYPE line, then its samples. */
export interface MetricFamily {
  /** Prefixed `cachesync_`, units in the name (`_seconds`, `_bytes`). */
  readonly name: string
  readonly help: string
  readonly type: 'gauge' | 'counter'
  readonly samples: readonly Sample[]
}

const METRIC_NAME = /^cachesync_[a-z_][a-z0-9_]*$/
const LABEL_NAME = /^[a-z_][a-z0-9_]*$/

/** The Prometheus text exposition format (version 0.0.4) of the families, in the order given. */
export function formatPrometheus(families: readonly MetricFamily[]): string {
  const lines: string[] = []
  for (const family of families) {
    if (!METRIC_NAME.test(family.name)) throw new CachesyncError('ERR_INTERNAL', `bad metric name ${family.name}`)
    lines.push(`# HELP ${family.name} ${family.help.replaceAll('\\', '\\\\').replaceAll('\n', '\\n')}`)
    lines.push(`# TYPE ${family.name} ${family.type}`)
    for (const sample of family.samples) lines.push(`${family.name}${labelText(sample.labels)} ${valueText(sample.value)}`)
  }
  return `${lines.join('\n')}\n`
}

function labelText(labels: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(labels ?? {})
  if (entries.length === 0) return ''
  const parts = entries.map(([name, value]) => {
    if (!LABEL_NAME.test(name)) throw new CachesyncError('ERR_INTERNAL', `bad label name ${name}`)
    return `${name}="${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`
  })
  return `{${parts.join(',')}}`
}

function valueText(value: number): string {
  if (Number.isNaN(value)) return 'NaN'
  if (value === Number.POSITIVE_INFINITY) return '+Inf'
  if (value === Number.NEGATIVE_INFINITY) return '-Inf'
  return String(value)
}

/**
 * Checks before a run that a metrics file can be written where asked: its directory exists and the
 * path is not a directory. The run's own work is not spent for a typo.
 */
export function checkMetricsPath(path: string): void {
  const dir = dirname(path)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CachesyncError('ERR_USAGE', `--metrics-file ${path}: directory ${dir} does not exist`)
  if (existsSync(path) && statSync(path).isDirectory()) throw new CachesyncError('ERR_USAGE', `--metrics-file ${path}: is a directory`)
}

/**
 * Writes the metrics atomically, as node_exporter's textfile collector wants them: a scrape sees the old
 * file or the new one, never half of one (the temp file does not end in `.prom`, so it is not read).
 */
export async function writeMetricsFile(path: string, families: readonly MetricFamily[]): Promise<void> {
  const text = formatPrometheus(families)
  try {
    await writeFileAtomic(path, text)
  } catch (err) {
    throw new CachesyncError('ERR_IO', `Cannot write metrics file ${path}: ${(err as Error).message}`, { cause: err })
  }
}

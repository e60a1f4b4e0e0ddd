import { resolve } from 'node:path'
import { checkMetricsPath, type MetricFamily, writeMetricsFile } from '../src/metrics/prometheus-text.js'

/** The `--metrics-file` path, resolved and checked before the run starts; undefined when not asked for. */
export function metricsPath(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined
  const path = resolve(raw)
  checkMetricsPath(path)
  return path
}

/** Writes the metrics; a failure is said on stderr and returns false: the run itself is done and kept. */
export async function writeMetrics(path: string, families: readonly MetricFamily[]): Promise<boolean> {
  try {
    await writeMetricsFile(path, families)
    return true
  } catch (err) {
    process.stderr.write(`cachesync: ${(err as Error).message}\n`)
    return false
  }
}

import { resolve } from 'node:path'
import type { ArchiveReport } from '../../src/archive/run-archive.js'
import { runArchive } from '../../src/archive/run-archive.js'
import { archiveMetrics } from '../../src/metrics/archive-metrics.js'
import { parseDuration } from '../../src/util/duration.js'
import { ConfigError } from '../../src/util/errors.js'
import { cliLogger } from '../cli-logger.js'
import type { ArchiveArgs } from '../definitions/archive.js'
import { EXIT } from '../exit-status.js'
import { formatArchiveReport } from '../format-archive.js'
import { loadConfig } from '../load-config.js'
import { metricsPath, writeMetrics } from '../metrics-file.js'

/** `cachesync archive`: old rows out to verified, compressed files. */
export async function run(args: ArchiveArgs): Promise<number> {
  const metricsFile = metricsPath(args.metricsFile)
  const config = loadConfig(args, { sink: args.sink, schema: args.schema })
  const batchTarget = duration('--batch-target', args.batchTarget)
  let report: ArchiveReport
  try {
    // Flags win over the configuration's `archive:` section.
    const fromFile = config.archive
    const olderThan = (args.olderThan ?? []).map(parseOlderThan)
    report = await runArchive(config, {
      ...optional('deletedBefore', duration('--deleted-before', args.deletedBefore) ?? fromFile.deletedBefore),
      olderThan: olderThan.length > 0 ? olderThan : fromFile.olderThan,
      ...optional('sources', args.source ?? fromFile.sources),
      ...optional('history', duration('--history', args.history) ?? fromFile.history),
      ...optional('toDir', args.to === undefined ? fromFile.dir : resolve(args.to)),
      dryRun: args.dryRun,
      ...optional('vacuum', args.vacuum ?? fromFile.vacuum),
      batch: {
        ...optional('start', args.batchSize),
        ...optional('min', args.batchMin),
        ...optional('max', args.batchMax),
        ...optional('targetMs', batchTarget),
      },
      ...optional('level', args.level ?? fromFile.level),
      ...optional('threads', args.threads),
      logger: cliLogger(args),
    })
  } catch (err) {
    if (metricsFile !== undefined) await writeMetrics(metricsFile, archiveMetrics(undefined, new Date()))
    throw err
  }
  process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : `${formatArchiveReport(report)}\n`)
  const written = metricsFile === undefined || (await writeMetrics(metricsFile, archiveMetrics(report, new Date())))
  return written ? EXIT.ok : EXIT.failed
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }
}

function duration(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined
  const ms = parseDuration(raw)
  if (ms === undefined || ms <= 0) throw new ConfigError(`${flag} must be a duration such as 30d, 12h or 90m, got ${JSON.stringify(raw)}`)
  return ms
}

/** `last_seen=365d` → the column and the age in milliseconds. */
function parseOlderThan(raw: string): { column: string; ms: number } {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.+)$/.exec(raw)
  const ms = match === null ? undefined : parseDuration(match[2] as string)
  if (match === null || ms === undefined || ms <= 0)
    throw new ConfigError(`--older-than must be COLUMN=DURATION such as last_seen=365d, got ${JSON.stringify(raw)}`)
  return { column: match[1] as string, ms }
}

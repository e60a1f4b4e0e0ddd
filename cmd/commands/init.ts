import { type InitReport, runInit } from '../../src/init/run-init.js'
import type { InitArgs } from '../definitions/init.js'
import { EXIT } from '../exit-status.js'

/** The configuration file `init` writes when neither --config nor CACHESYNC_CONFIG names one. */
const DEFAULT_CONFIG_FILE = 'cachesync.yaml'

/** `cachesync init`: a source for a JSON API, from its first page, written to the configuration file. */
export async function run(args: InitArgs): Promise<number> {
  const configFile = args.config ?? process.env.CACHESYNC_CONFIG ?? DEFAULT_CONFIG_FILE
  const report = await runInit({ url: args.url, name: args.name, configFile, dryRun: args.dryRun })
  if (args.dryRun) {
    process.stderr.write(`${formatDecisions(report)}\n`)
    process.stdout.write(report.text)
  } else {
    process.stdout.write(`${formatDecisions(report)}\n`)
  }
  return EXIT.ok
}

/** One line per decision, then the proposed columns, then what was written and what to run next. */
function formatDecisions(report: InitReport): string {
  const topics = [...report.decisions.map((d) => d.topic), 'written', 'next']
  const width = Math.max(...topics.map((t) => t.length))
  const line = (topic: string, text: string): string => `${topic.padEnd(width)}  ${text}`
  const nameWidth = Math.max(...report.columns.map((c) => c.name.length))
  const file = report.configFile
  return [
    ...report.decisions.map((d) => line(d.topic, d.text)),
    ...report.columns.map((c) => `${''.padEnd(width)}    ${c.name.padEnd(nameWidth)}  ${c.type}${c.key ? '  key' : ''}`.trimEnd()),
    line(
      'written',
      report.written
        ? `${file}: ${report.created ? 'created with' : 'added'} source ${report.source.name}`
        : `nothing (--dry-run); ${file} would get source ${report.source.name}`,
    ),
    line('next', `${report.keyFound ? '' : `set key in ${file}, then `}cachesync warm --config ${file} && cachesync sync --config ${file}`),
  ].join('\n')
}

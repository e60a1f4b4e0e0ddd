import { existsSync, statSync } from 'node:fs'
import { dirname, extname } from 'node:path'
import type { ResolvedSink } from '../config/resolve-sink.js'
import { openSinkReader } from '../sink/open-sink.js'
import type { RecordedRun } from '../sink/recorded-run.js'
import { CachesyncError } from '../util/errors.js'
import { writeFileAtomic } from '../util/write-file-atomic.js'
import { renderHistorySvg } from './history-plot.js'

/** The runs of a database, and the database as it may be printed (a path, or a URL without its password). */
export interface RunHistory {
  readonly target: string
  /** Newest first. */
  readonly runs: RecordedRun[]
}

/** The newest `limit` runs of the sink's database; a database that is not there yet throws ERR_USAGE. */
export async function readHistory(sink: ResolvedSink, limit: number): Promise<RunHistory> {
  if (!Number.isInteger(limit) || limit < 1) throw new CachesyncError('ERR_USAGE', `--limit must be a positive integer, got ${limit}`)
  const reader = await openSinkReader(sink)
  try {
    if (reader.missing !== undefined) throw new CachesyncError('ERR_USAGE', `${capitalize(reader.missing)}: no runs to show until \`cachesync sync\` has run`)
    return { target: reader.target, runs: await reader.readRuns({ limit }) }
  } finally {
    await reader.close()
  }
}

/**
 * Checks where a plot may go before anything is read: an `.svg` file in a directory that exists. PNG is
 * refused with the command that converts the SVG: no well-kept rasterizer installs without downloading
 * native binaries.
 */
export function checkPlotPath(path: string): void {
  const ext = extname(path).toLowerCase()
  if (ext === '.png') {
    throw new CachesyncError(
      'ERR_USAGE',
      `--plot ${path}: cachesync draws SVG only; write ${path.slice(0, -4)}.svg and convert it, e.g. \`rsvg-convert -o ${path} ${path.slice(0, -4)}.svg\` (Debian: librsvg2-bin)`,
    )
  }
  if (ext !== '.svg') throw new CachesyncError('ERR_USAGE', `--plot ${path}: name an .svg file`)
  const dir = dirname(path)
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CachesyncError('ERR_USAGE', `--plot ${path}: directory ${dir} does not exist`)
}

/** Writes the history plot atomically, so a dashboard never shows half a picture. */
export async function writeHistoryPlot(path: string, runs: readonly RecordedRun[], title: string): Promise<number> {
  checkPlotPath(path)
  const svg = renderHistorySvg(runs, { title })
  try {
    await writeFileAtomic(path, svg)
  } catch (err) {
    throw new CachesyncError('ERR_IO', `Cannot write plot ${path}: ${(err as Error).message}`, { cause: err })
  }
  return runs.filter((r) => r.phases !== undefined).length
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}

import { existsSync, statSync } from 'node:fs'
import { rename, rm, writeFile } from 'node:fs/promises'
import { dirname, extname } from 'node:path'
import { CachesyncError } from '../util/errors.js'
import { renderHistorySvg } from './history-plot.js'
import { openForReading, type RecordedRun, readRuns } from './run-history.js'

/** The newest `limit` runs of a database, newest first; a database that does not exist yet throws ERR_USAGE. */
export function readHistory(dbPath: string, limit: number): RecordedRun[] {
  if (!Number.isInteger(limit) || limit < 1) throw new CachesyncError('ERR_USAGE', `--limit must be a positive integer, got ${limit}`)
  let db: ReturnType<typeof openForReading>
  try {
    db = openForReading(dbPath)
  } catch (err) {
    throw new CachesyncError('ERR_IO', `Cannot read database ${dbPath}: ${(err as Error).message}`, { cause: err })
  }
  if (db === undefined) throw new CachesyncError('ERR_USAGE', `No database at ${dbPath} yet: \`cachesync sync\` creates it and records its runs`)
  try {
    return readRuns(db, { limit })
  } finally {
    db.close()
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

/** Writes the history plot atomically (temp file, rename), so a dashboard never shows half a picture. */
export async function writeHistoryPlot(path: string, runs: readonly RecordedRun[], title: string): Promise<number> {
  checkPlotPath(path)
  const svg = renderHistorySvg(runs, { title })
  const temp = `${path}.${process.pid}.tmp`
  try {
    await writeFile(temp, svg)
    await rename(temp, path)
  } catch (err) {
    await rm(temp, { force: true })
    throw new CachesyncError('ERR_IO', `Cannot write plot ${path}: ${(err as Error).message}`, { cause: err })
  }
  return runs.filter((r) => r.phases !== undefined).length
}

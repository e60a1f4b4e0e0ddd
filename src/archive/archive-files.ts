import { readdirSync, rmSync } from 'node:fs'
import { basename, join } from 'node:path'

/** The ending of an archive file: gzip-compressed JSON lines. */
export const ARCHIVE_SUFFIX = '.jsonl.gz'
const MANIFEST_SUFFIX = '.manifest.json'

/**
 * The name of a batch's file: table, then the run's start time, run and batch number, so that a
 * directory listing sorts by table and time (`devices.20261205T061502Z.r12.b000003.jsonl.gz`).
 */
export function archiveFileName(table: string, startedAt: Date, runId: number, batch: number): string {
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  return `${table}.${stamp}.r${runId}.b${String(batch).padStart(6, '0')}${ARCHIVE_SUFFIX}`
}

/** The manifest beside an archive file: `<name without .jsonl.gz>.manifest.json`. */
export function manifestPath(archivePath: string): string {
  return `${archivePath.endsWith(ARCHIVE_SUFFIX) ? archivePath.slice(0, -ARCHIVE_SUFFIX.length) : archivePath}${MANIFEST_SUFFIX}`
}

/** What the manifest of an archive file says: enough to restore it without the database's record. */
export interface ArchiveManifest {
  readonly format: 'cachesync-archive/1'
  readonly file: string
  readonly table: string
  readonly source: string | null
  readonly rows: number
  readonly key: readonly string[]
  readonly firstKey: readonly unknown[]
  readonly lastKey: readonly unknown[]
  /** The columns, in the order of the values of each line (key columns first), and their database types. */
  readonly columns: readonly { readonly name: string; readonly type: string }[]
  /** Which rows were taken: the filter and its cutoff. */
  readonly filter: string
  readonly database: string
  readonly runId: number
  readonly createdAt: string
  readonly bytes: number
  readonly sha256: string
}

/** Removes an archive file, its manifest and their `.part` files; a missing one is no error. */
export function removeArchiveFile(path: string): void {
  for (const file of [path, manifestPath(path)]) {
    rmSync(file, { force: true })
    rmSync(`${file}.part`, { force: true })
  }
}

/** The archive files in a directory (not its subdirectories), sorted by name: by table and time. */
export function listArchiveFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(ARCHIVE_SUFFIX))
    .sort()
    .map((name) => join(dir, name))
}

export function isArchiveFile(path: string): boolean {
  return basename(path).endsWith(ARCHIVE_SUFFIX)
}

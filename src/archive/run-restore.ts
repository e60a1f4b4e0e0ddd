import { createHash } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import { gunzipSync } from 'node:zlib'
import type { ResolvedConfig } from '../config/resolve-config.js'
import type { ArchiveStore, RestoreCounts, TableShape } from '../sink/archive-store.js'
import { openArchiveStore } from '../sink/open-archive-store.js'
import { CachesyncError } from '../util/errors.js'
import { type Logger, silentLogger } from '../util/logger.js'
import { type ArchiveManifest, isArchiveFile, listArchiveFiles, manifestPath } from './archive-files.js'

/** Options of {@link runRestore}; all optional. */
export interface RestoreOptions {
  logger?: Logger
  /** Rows written back per transaction. @default 5000 */
  chunk?: number
}

/** What came back from one file. */
export interface RestoredFile extends RestoreCounts {
  file: string
  table: string
  rows: number
}

export interface RestoreReport {
  ok: true
  runId: number
  target: string
  files: RestoredFile[]
  rows: number
  inserted: number
  replaced: number
  kept: number
  totalMs: number
  rowsPerSec: number
}

/** A file checked before any row is read: its manifest, and a sha256 that matches it. */
interface CheckedFile {
  path: string
  manifest: ArchiveManifest
}

/**
 * Loads archive files back into their tables. Every file's sha256 is checked against its manifest (and
 * against `sync_archives` where the database knows the file) before a row is read; one that fails
 * stops the restore before anything is written. The newest file goes first and a key already in the
 * table is kept, unless both are soft-deleted and the archived row was deleted later: the newest version
 * of a row wins, and restoring twice changes nothing.
 */
export async function runRestore(config: ResolvedConfig, paths: readonly string[], options: RestoreOptions = {}): Promise<RestoreReport> {
  const logger = options.logger ?? silentLogger
  const started = performance.now()
  const files = expand(paths)
  const store = await openArchiveStore(config.sink)
  let runId: number | undefined
  try {
    await store.prepare()
    const known = new Map((await store.archives()).filter((a) => a.state === 'archived').map((a) => [a.file, a.sha256]))
    const checked = files.map((path) => check(path, known))
    const shapes = await tableShapes(store, checked)
    const sources = config.sources.filter((s) => shapes.has(s.table)).map((s) => s.name)
    await store.lockSources(sources)
    runId = await store.startRun(new Date(), 'restore')
    // Newest first: an older version of a key then finds the newer one in the table and is kept.
    const order = [...checked].sort((a, b) => (b.manifest.createdAt + b.path).localeCompare(a.manifest.createdAt + a.path))
    const restored: RestoredFile[] = []
    for (const file of order) {
      const counts = await restoreFile(store, file, shapes.get(file.manifest.table) as TableShape, options.chunk ?? 5000)
      await store.markRestored(file.manifest.sha256, runId)
      restored.push({ file: file.path, table: file.manifest.table, rows: file.manifest.rows, ...counts })
      logger.info({ file: file.path, ...counts }, 'archive file restored')
    }
    const totalMs = performance.now() - started
    const rows = restored.reduce((n, f) => n + f.rows, 0)
    const report: RestoreReport = {
      ok: true,
      runId,
      target: store.target,
      files: restored.sort((a, b) => a.file.localeCompare(b.file)),
      rows,
      inserted: restored.reduce((n, f) => n + f.inserted, 0),
      replaced: restored.reduce((n, f) => n + f.replaced, 0),
      kept: restored.reduce((n, f) => n + f.kept, 0),
      totalMs,
      rowsPerSec: totalMs > 0 ? Math.round((rows * 1000) / totalMs) : 0,
    }
    await store.finishRun(runId, { outcome: 'ok', rows, files: restored.length, bytes: 0, phases: { total: totalMs }, error: undefined, report })
    return report
  } catch (err) {
    if (runId !== undefined) {
      await store.finishRun(runId, { outcome: 'failed', rows: 0, files: 0, bytes: 0, phases: {}, error: (err as Error).message, report: null }).catch(() => {})
    }
    throw err
  } finally {
    await store.close()
  }
}

/** Files as given, and the archive files of each directory given; at least one in all. */
function expand(paths: readonly string[]): string[] {
  if (paths.length === 0) throw new CachesyncError('ERR_USAGE', 'Name the archive files or directories to restore')
  const files: string[] = []
  for (const raw of paths) {
    const path = resolve(raw)
    let isDir: boolean
    try {
      isDir = statSync(path).isDirectory()
    } catch {
      throw new CachesyncError('ERR_USAGE', `No such archive file or directory: ${path}`)
    }
    if (isDir) files.push(...listArchiveFiles(path))
    else if (isArchiveFile(path)) files.push(path)
    else throw new CachesyncError('ERR_USAGE', `${path} is not an archive file (*.jsonl.gz)`)
  }
  if (files.length === 0) throw new CachesyncError('ERR_USAGE', `No archive files (*.jsonl.gz) in ${paths.join(', ')}`)
  return [...new Set(files)]
}

/** Reads the manifest and checks the file's sha256 against it and against the database's record. */
function check(path: string, known: ReadonlyMap<string, string>): CheckedFile {
  let manifest: ArchiveManifest
  try {
    manifest = JSON.parse(readFileSync(manifestPath(path), 'utf8')) as ArchiveManifest
  } catch (err) {
    throw new CachesyncError('ERR_IO', `Archive file ${path} has no readable manifest (${manifestPath(path)}): ${(err as Error).message}`)
  }
  const sha256 = createHash('sha256').update(readFileSync(path)).digest('hex')
  if (sha256 !== manifest.sha256)
    throw new CachesyncError('ERR_IO', `Archive file ${path} is damaged: its sha256 is ${sha256}, its manifest says ${manifest.sha256}; nothing restored`)
  const recorded = known.get(basename(path))
  if (recorded !== undefined && recorded !== sha256) {
    throw new CachesyncError('ERR_IO', `Archive file ${path} is not the one sync_archives recorded (sha256 ${recorded}); nothing restored`)
  }
  return { path, manifest }
}

/** The table of each file, which must exist and hold every column the file has. */
async function tableShapes(store: ArchiveStore, files: readonly CheckedFile[]): Promise<Map<string, TableShape>> {
  const shapes = new Map<string, TableShape>()
  for (const { path, manifest } of files) {
    if (shapes.has(manifest.table)) continue
    const shape = await store.shape(manifest.table)
    if (shape === undefined)
      throw new CachesyncError('ERR_CONFIG', `Archive file ${path}: table ${manifest.table} does not exist in ${store.target} (run a sync first)`)
    const missing = manifest.columns.filter((c) => !shape.columns.some((t) => t.name === c.name)).map((c) => c.name)
    if (missing.length > 0) throw new CachesyncError('ERR_CONFIG', `Archive file ${path}: table ${manifest.table} has no column ${missing.join(', ')}`)
    shapes.set(manifest.table, shape)
  }
  return shapes
}

const NEWLINE = 0x0a
const OPEN = 0x5b
const COMMA = 0x2c
const CLOSE = 0x5d

/**
 * One file's rows, in transactions of `chunk` rows, handed to the database as the bytes of one JSON
 * array that it parses itself: the file's lines, their newlines turned into commas. No line becomes a
 * JavaScript string (decoding them took a sixth of a restore).
 */
async function restoreFile(store: ArchiveStore, file: CheckedFile, table: TableShape, chunk: number): Promise<RestoreCounts> {
  const shape: TableShape = { columns: file.manifest.columns, key: table.key }
  const plain = gunzipSync(readFileSync(file.path))
  const counts: RestoreCounts = { inserted: 0, replaced: 0, kept: 0 }
  for (let start = 0; start < plain.length; ) {
    const array = Buffer.allocUnsafe(plain.length - start + 2)
    array[0] = OPEN
    let at = start
    let rows = 0
    while (at < plain.length && rows < chunk) {
      let end = plain.indexOf(NEWLINE, at)
      if (end === -1) end = plain.length
      if (end === at) throw new CachesyncError('ERR_IO', `Archive file ${file.path}: an empty line`)
      plain.copy(array, at - start + 1, at, end)
      array[end - start + 1] = COMMA
      rows++
      at = end + 1
    }
    const length = Math.min(at, plain.length) - start + 1
    array[length - 1] = CLOSE
    const done = await store.restoreRows(file.manifest.table, shape, array.subarray(0, length), rows)
    counts.inserted += done.inserted
    counts.replaced += done.replaced
    counts.kept += done.kept
    start = at
  }
  return counts
}

import { closeSync, openSync, readSync } from 'node:fs'
import { LINE_INDEX_ENTRY_BYTES } from '../cache/line-index.js'
import type { IndexedLines } from '../cache/line-index-reader.js'
import { forEachLine, ReusableBuffer, readBytes, readJsonRecords, withoutBom } from '../cache/line-reader.js'
import { lastPerRowid, WrittenRows } from '../engine/live-rows-after.js'
import type { RowValues } from '../engine/record-mapper.js'
import { RecordProcessor } from '../engine/record-processor.js'
import type { ColumnWidening, FieldType } from '../schema/field-type.js'
import type { OpenColumn } from '../schema/open-spec.js'
import { stagingReshapes } from '../sink/sink.js'
import { createStager, type RowStager, readLiveRowsPart, translateStagingError } from '../sink/worker-side.js'
import { serializeError } from '../util/errors.js'
import { HashSetUnion } from '../util/hash-set-union.js'
import { loadRowHash, ROW_HASH_BYTES } from '../util/row-hash.js'
import type { LiveRowsResult, LiveRowsTask, TaskTimings, TransformResult, TransformTask } from './transform-task.js'

/** Rows buffered before a staging insert: timing each batch, not each row, keeps the clock cheap. */
const STAGING_BATCH = 1000

/**
 * This thread's read buffer, reused by every task: filling a fresh buffer costs more than the read
 * itself (the kernel maps and zeroes each page on first touch). Nothing a task returns
 * points into it: rows are decoded and hashes copied before the next task reads.
 */
const reader = new ReusableBuffer()

// This module is a worker's entry, never imported by the package: the hash compiles as the worker starts.
await loadRowHash()

/** Piscina's entry: parse, map and hash one range of a cache file into a staging file. */
export default function transform(task: TransformTask): TransformResult {
  // Made with the first row: most ranges of a re-sync have none, and an empty file would cost its
  // creation here and an ATTACH and a merge on the coordinator's thread.
  let staging: RowStager | undefined
  try {
    const timings = { read: 0, transform: 0, write: 0 }
    let started = performance.now()
    const known = task.known === undefined ? undefined : HashSetUnion.fromMemory(task.known)
    const batch: { values: RowValues; hash: Buffer }[] = []
    // The staging file keeps the last row of a key met twice in the range: so must the rows told back.
    let written = task.packWritten ? new WrittenRows() : undefined
    const keyAt = task.keyIndexes[0] as number
    // Where columns are inferred, the rows wait for the range's end: only then are their types known.
    const open = task.mapping.open !== undefined
    // Where the staging file can take new columns and convert old values (SQLite), inferred rows are
    // staged as they come, under the types their columns have then; otherwise they wait for the end.
    const holdRows = open && !stagingReshapes(task.stagingFormat)
    let stagedTypes: FieldType[] = []
    const flush = (): void => {
      const started = performance.now()
      if (batch.length > 0) {
        processor.open?.finishRows(batch.map((row) => row.values))
        const columns = processor.open?.columns() ?? []
        const width = task.mapping.columns.length + columns.length
        if (staging === undefined) staging = createStager(task.stagingFormat, task.stagingPath, width, task.keyIndexes)
        else if (staging.reshape !== undefined && columns.length > 0) reshapeStaging(staging.reshape, task.mapping.columns.length, stagedTypes, columns)
        stagedTypes = columns.map((c) => c.type)
      }
      for (const row of batch) {
        staging?.add(row.values, row.hash)
        if (written !== undefined && !written.add(row.hash, row.values[keyAt])) written = undefined
      }
      batch.length = 0
      timings.write += performance.now() - started
    }
    const processor = new RecordProcessor(
      task.mapping,
      known,
      (values, hash) => {
        if (batch.push({ values, hash }) >= STAGING_BATCH && !holdRows) flush()
      },
      { skipKnown: !task.rewrite },
    )
    let lines: number
    if (task.format === 'json') {
      const records = readJsonRecords(task.file, task.gzip, task.mapping.recordsPath)
      timings.read += performance.now() - started
      started = performance.now()
      records.forEach((record, i) => processor.processRecord(record, i + 1))
      lines = records.length
    } else if (task.lines !== undefined && known !== undefined && !task.rewrite) {
      const readBefore = timings.read
      lines = processIndexedLines(task.file, task.lines, processor, timings)
      started += timings.read - readBefore
    } else {
      const bytes = withoutBom(readBytes(task.file, task.range, task.gzip, reader), task.range.start)
      timings.read += performance.now() - started
      started = performance.now()
      lines = forEachLine(bytes, (text, index) => processor.processLine(text, index + 1))
    }
    flush()
    const finishing = performance.now()
    timings.transform = finishing - started - timings.write
    staging?.finish()
    timings.write += performance.now() - finishing
    return {
      ok: true,
      staged: staging !== undefined,
      counts: processor.counts,
      lines,
      rejects: processor.rejects,
      timings,
      written: written === undefined ? undefined : lastPerRowid([written.take()]),
      open: processor.open?.columns(),
      dropped: processor.open === undefined ? [] : [...processor.open.dropped],
    }
  } catch (err) {
    staging?.discard()
    return { ok: false, error: serializeError(translateStagingError(task.stagingFormat, err, task.stagingPath)) }
  }
}

/**
 * The range's lines as its line index lists them: a line whose hash a live row has is counted and marked
 * seen without reading it; only the others are read from the cache file, and processed as any line.
 */
function processIndexedLines(file: string, indexed: IndexedLines, processor: RecordProcessor, timings: TaskTimings): number {
  const lines = indexed.entries.length / LINE_INDEX_ENTRY_BYTES
  const fd = openSync(file, 'r')
  try {
    const view = new DataView(indexed.entries.buffer, indexed.entries.byteOffset, indexed.entries.byteLength)
    let start = indexed.start
    for (let i = 0; i < lines; i++) {
      const at = i * LINE_INDEX_ENTRY_BYTES + ROW_HASH_BYTES
      // Two halves rather than a BigInt a line: offsets stay far below 2^53.
      const end = view.getUint32(at, false) * 2 ** 32 + view.getUint32(at + 4, false)
      if (!processor.skipKnownHash(indexed.entries, i * LINE_INDEX_ENTRY_BYTES)) {
        const started = performance.now()
        const bytes = withoutBom(readLineAt(fd, start, end), start)
        timings.read += performance.now() - started
        processor.processLine(bytes, i + 1)
      }
      start = end
    }
    return lines
  } finally {
    closeSync(fd)
  }
}

/** The line between two offsets, without its line ending; the bytes are only good until the next read. */
function readLineAt(fd: number, start: number, end: number): Buffer {
  const buffer = reader.take(end - start)
  let done = 0
  while (done < buffer.length) {
    const read = readSync(fd, buffer, done, buffer.length - done, start + done)
    if (read === 0) break
    done += read
  }
  let stop = done
  if (stop > 0 && buffer[stop - 1] === 10) stop--
  if (stop > 0 && buffer[stop - 1] === 13) stop--
  return buffer.subarray(0, stop)
}

/** Widens the staged columns whose type grew since they were staged, and adds the new ones. */
function reshapeStaging(reshape: NonNullable<RowStager['reshape']>, fixed: number, staged: readonly FieldType[], columns: readonly OpenColumn[]): void {
  const widen: ColumnWidening[] = []
  for (const [at, type] of staged.entries()) {
    const now = (columns[at] as OpenColumn).type
    if (now !== type) widen.push({ index: fixed + at, from: type, to: now })
  }
  if (widen.length > 0 || columns.length > staged.length) reshape(fixed + columns.length, widen)
}

/** Piscina's `loadLiveRows` entry: a table's live rows as a shared set, read off the coordinator's thread. */
export function loadLiveRows(task: LiveRowsTask): LiveRowsResult {
  try {
    const started = performance.now()
    const known = readLiveRowsPart(task).memory
    return { ok: true, known, ms: performance.now() - started }
  } catch (err) {
    return { ok: false, error: serializeError(err) }
  }
}

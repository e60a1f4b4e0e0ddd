import type { Readable } from 'node:stream'
import { CachesyncError } from '../util/errors.js'
import { JsonSplitter, JsonSyntaxError } from './json-splitter.js'

/** Where records go: the cache file writer, or anything with its three members. */
export interface RecordSink {
  /** One record: its JSON bytes, on one line (no newline in them). */
  writeRecord(bytes: Buffer): void
  /**
   * Optional: `count` records as lines joined by newlines (no newline after the last), copied at once. A sink
   * that has it is given the body's chunks to rewrite in place (see {@link JsonSplitter}).
   */
  writeRecords?(lines: Buffer, count: number): void
  readonly full: boolean
  flush(): Promise<void>
}

export interface ExtractOptions {
  /** Path of the records array; empty for a top-level array. */
  readonly recordsPath: readonly string[]
  /** A scalar elsewhere in the body to capture (a cursor, a next link). */
  readonly capturePath?: readonly string[] | undefined
  readonly sink: RecordSink
}

export interface Extracted {
  readonly records: number
  /** The scalar at `capturePath`; undefined when absent. */
  readonly captured: unknown
}

/**
 * Streams a JSON body and hands each element of its records array to the sink as one line, so that a body of
 * any size is never held in memory: only the record being read is. The byte-level {@link JsonSplitter} checks
 * the whole body against the JSON grammar and cuts the records out as they came (whitespace outside strings
 * dropped), without building them: judging a record is the sync's job, and the sync rejects a bad one alone.
 * A body that is not JSON, or is cut short, fails with ERR_PARSE: its records must not replace a good cache.
 */
export async function extractRecords(body: Readable, options: ExtractOptions): Promise<Extracted> {
  const { recordsPath, capturePath, sink } = options
  let records = 0
  let captured: unknown
  // The body's chunks are read by nobody else: the splitter may rewrite them into lines in place.
  const writeRecords = sink.writeRecords?.bind(sink)
  const splitter = new JsonSplitter(recordsPath, capturePath, {
    record(bytes) {
      sink.writeRecord(bytes)
      records++
    },
    captured(json) {
      captured = JSON.parse(json)
    },
    ...(writeRecords === undefined
      ? {}
      : {
          lines(run: Buffer, count: number) {
            writeRecords(run, count)
            records += count
          },
        }),
  })
  try {
    for await (const chunk of body) {
      splitter.write(chunk as Buffer)
      if (sink.full) await sink.flush()
    }
    splitter.end()
  } catch (err) {
    body.destroy()
    if (!(err instanceof JsonSyntaxError)) throw err
    const message = err.message === 'the body is empty' ? err.message : `the body is not valid JSON: ${err.message}`
    throw new CachesyncError('ERR_PARSE', message, { cause: err })
  }
  if (!splitter.found) {
    const where = recordsPath.length === 0 ? 'a top-level array' : `an array at "${recordsPath.join('.')}"`
    const saw = splitter.topLevel === 'object' ? 'an object' : splitter.topLevel === 'array' ? 'an array' : 'a scalar'
    const hint = recordsPath.length === 0 && splitter.topLevel === 'object' ? ' (set recordsPath)' : ''
    throw new CachesyncError('ERR_PARSE', `the body holds no records: expected ${where}, found ${saw}${hint}`)
  }
  await sink.flush()
  return { records, captured }
}

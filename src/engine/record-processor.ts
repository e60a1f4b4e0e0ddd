import { isUtf8 } from 'node:buffer'
import type { LiveRowSet } from '../util/hash-set-union.js'
import { isNestedDeeper, MAX_JSON_DEPTH, stringifyJson } from '../util/json-limits.js'
import { probeRowHash, rowHash } from '../util/row-hash.js'
import { OpenRecordMapper } from './open-record-mapper.js'
import { createRecordMapper, type MappingSpec, type MapResult, type RowValues } from './record-mapper.js'

export interface Reject {
  /** 1-based line of an NDJSON file, or 1-based index of a record in a JSON array. */
  line: number
  reason: string
  raw: string
}

/** Rejects kept in full per task; past this only the count grows, so a garbage file cannot exhaust memory. */
export const MAX_KEPT_REJECTS = 10_000

export interface ProcessorCounts {
  /** Records read (non-empty lines or array elements). */
  read: number
  /** Records whose hash matched a known row: not parsed, not written. */
  known: number
  /** Records mapped to a row and handed to `onRow`. */
  mapped: number
  rejected: number
}

/** Where mapped rows go: a staging file, a batch, an upsert. */
export type RowConsumer = (values: RowValues, hash: Buffer) => void

/**
 * Turns records into rows: hashes the record's text, skips a record whose hash a live row already has
 * (without parsing it), parses and maps the others, and keeps the rejects with their reason.
 */
export class RecordProcessor {
  readonly counts: ProcessorCounts = { read: 0, known: 0, mapped: 0, rejected: 0 }
  readonly rejects: Reject[] = []
  readonly #map: (record: unknown) => MapResult
  /**
   * Where the source's columns are inferred: the mapper that learns them. Its rows hold the records' own
   * values until `open.finishRows` stores them under the columns' final types.
   */
  readonly open: OpenRecordMapper | undefined
  readonly #known: LiveRowSet | undefined
  readonly #onRow: RowConsumer
  readonly #skipKnown: boolean

  /**
   * `known`: the hashes of the live rows. A record with one is marked seen in it and, unless `skipKnown`
   * is false (the rows must be rewritten), neither parsed nor written.
   */
  constructor(spec: MappingSpec, known: LiveRowSet | undefined, onRow: RowConsumer, options: { skipKnown?: boolean } = {}) {
    const open = spec.open
    this.open = open === undefined ? undefined : new OpenRecordMapper({ ...spec, open })
    this.#map = this.open?.map ?? createRecordMapper(spec)
    this.#known = known
    this.#onRow = onRow
    this.#skipKnown = options.skipKnown ?? true
  }

  /** One NDJSON line, as bytes without its line ending. */
  processLine(bytes: Buffer, line: number): void {
    if (bytes.length === 0 || (bytes[0] as number) <= 32) {
      if (isBlank(bytes)) return
    }
    this.counts.read++
    const probe = probeRowHash(bytes)
    if (this.#isKnown(probe)) return
    const hash = Buffer.from(probe)
    const text = bytes.toString('utf8')
    // Decoding turns bytes that are no UTF-8 into U+FFFD: a record would land altered. Only a line holding
    // U+FFFD can be one, so the others are not checked.
    if (text.includes('\ufffd') && !isUtf8(bytes)) {
      this.#reject(line, 'not valid UTF-8: the line holds bytes that are no UTF-8 character (a file in another encoding?)', text)
      return
    }
    let record: unknown
    try {
      record = JSON.parse(text)
    } catch (err) {
      this.#reject(line, `malformed JSON: ${(err as Error).message}`, text)
      return
    }
    this.#emit(record, hash, line, text)
  }

  /**
   * A line known by its hash alone (8 bytes at `offset` of `hash`, from a line index): counted and marked
   * seen, and true, when a live row has it and known rows are skipped; false otherwise, with nothing done:
   * the line must then go through `processLine`.
   */
  skipKnownHash(hash: Uint8Array, offset: number): boolean {
    if (this.#known === undefined || !this.#skipKnown || !this.#known.markSeen(hash, offset)) return false
    this.counts.read++
    this.counts.known++
    return true
  }

  /** One element of a JSON array; its text is its canonical JSON. */
  processRecord(record: unknown, line: number): void {
    this.counts.read++
    const text = stringifyJson(record)
    const hash = rowHash(text)
    if (this.#isKnown(hash)) return
    this.#emit(record, hash, line, text)
  }

  #isKnown(hash: Uint8Array): boolean {
    if (this.#known === undefined || !this.#known.markSeen(hash)) return false
    if (!this.#skipKnown) return false
    this.counts.known++
    return true
  }

  #emit(record: unknown, hash: Buffer, line: number, text: string): void {
    // The mapper stringifies json columns, which a deep value would overflow. A record of n levels is at
    // least 2n characters long, so a short one needs no walk.
    if (text.length > 2 * MAX_JSON_DEPTH && isNestedDeeper(record, MAX_JSON_DEPTH)) {
      this.#reject(line, `nested deeper than ${MAX_JSON_DEPTH} levels of arrays and objects`, text)
      return
    }
    const mapped = this.#map(record)
    if (!mapped.ok) {
      this.#reject(line, mapped.reason, text)
      return
    }
    this.counts.mapped++
    this.#onRow(mapped.values, hash)
  }

  #reject(line: number, reason: string, raw: string): void {
    this.counts.rejected++
    if (this.rejects.length < MAX_KEPT_REJECTS) this.rejects.push({ line, reason, raw })
  }
}

function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte !== 32 && byte !== 9 && byte !== 13) return false
  return true
}

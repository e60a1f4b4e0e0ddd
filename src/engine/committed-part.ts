import type { LiveRowSet } from '../util/hash-set-union.js'
import { RecordProcessor } from './record-processor.js'
import { RowBatcher } from './row-batcher.js'
import { committedRows, type SourceJob, type SourceRun } from './source-job.js'

/** Records checked with one question to the sink. */
const CHECK_BATCH = 10_000

/**
 * On a resume, the records an earlier run committed are not written again, but the rows they match must
 * count as seen, or they would look vanished. A record whose hash a live row has marks that row seen,
 * unparsed. The others are mapped, and the sink names the live rows that already hold their values
 * under other bytes (rows that run left alone): their hashes join `run.kept`. Nothing is counted or written.
 */
export class CommittedPart {
  readonly #job: SourceJob
  readonly #run: SourceRun
  readonly #batcher = new RowBatcher()
  readonly #processor: RecordProcessor

  constructor(job: SourceJob, run: SourceRun, known: LiveRowSet) {
    this.#job = job
    this.#run = run
    this.#processor = new RecordProcessor(job.mapping, known, this.#batcher.add)
  }

  /** One NDJSON line of the committed part; true when it is time to `check`. */
  add(bytes: Buffer): boolean {
    this.#processor.processLine(bytes, 0)
    return this.#batcher.pending >= CHECK_BATCH
  }

  /** Asks the sink about the records mapped since the last check. */
  async check(): Promise<void> {
    const { rows, hashes } = this.#batcher.take()
    if (rows.length === 0) return
    const open = this.#processor.open
    open?.finishRows(rows)
    const kept = await this.#job.sourceSink.keptHashes(committedRows(this.#job, { kind: 'rows', rows, hashes }, open?.columns()))
    if (kept.length > 0) this.#run.kept.push(kept)
  }
}

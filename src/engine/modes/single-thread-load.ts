import type { LiveRowSet } from '../../util/hash-set-union.js'
import type { FilePosition } from '../chunk-committer.js'
import { WrittenRows } from '../live-rows-after.js'
import type { RowValues } from '../record-mapper.js'
import { RecordProcessor } from '../record-processor.js'
import { RowBatcher } from '../row-batcher.js'
import { addDropped, commitChunk, emptyRun, type ModeContext, type SourceJob, type SourceRun } from '../source-job.js'
import { tooManyRejects } from './parallel.js'

export interface SingleThreadLoadOptions {
  /** Called as each commit ends, with where the file stands after it. */
  onCommit?: (at: FilePosition) => void
  /** Streaming: keep nothing that grows with the file (see `#written`). */
  lowMemory?: boolean
}

/**
 * What the single-thread modes (sequential, streaming) share: records are mapped into rows on this
 * thread and committed a chunk at a time, each commit with its checkpoint, the chunk sizer told how
 * long each chunk took. The modes differ only in how they read the file.
 */
export class SingleThreadLoad {
  readonly run: SourceRun = emptyRun()
  /** The live rows' hashes before this run; none when the table had no live row. */
  readonly known: LiveRowSet | undefined
  readonly processor: RecordProcessor
  readonly #job: SourceJob
  readonly #ctx: ModeContext
  readonly #batcher = new RowBatcher()
  readonly #onCommit: ((at: FilePosition) => void) | undefined
  /** The rows committed, for the sink's saved live rows; none when not gathered or a key was not an integer. */
  #written: WrittenRows | undefined
  #chunkStarted = performance.now()
  #recordsAtChunk = 0

  private constructor(job: SourceJob, ctx: ModeContext, known: LiveRowSet | undefined, options: SingleThreadLoadOptions) {
    this.#job = job
    this.#ctx = ctx
    this.#onCommit = options.onCommit
    this.known = known
    // On a first sync they would be 16 bytes a record, growing with the file: not where memory is the point.
    this.#written = job.sourceSink.keepsLiveRows && (known !== undefined || !options.lowMemory) ? new WrittenRows() : undefined
    this.processor = new RecordProcessor(job.mapping, this.known, this.#batcher.add, { skipKnown: !job.rewrite })
    this.run.counts = this.processor.counts
    this.run.rejects = this.processor.rejects
  }

  /** The load of one source, with the live rows' hashes loaded when the table had any. */
  static async create(job: SourceJob, ctx: ModeContext, options: SingleThreadLoadOptions = {}): Promise<SingleThreadLoad> {
    const started = performance.now()
    const known = job.hadLiveRows ? await job.sourceSink.loadLiveHashes() : undefined
    ctx.busy.read += performance.now() - started
    return new SingleThreadLoad(job, ctx, known, options)
  }

  /** Records done in the file, those an earlier run committed included. */
  get records(): number {
    return this.#job.resumeFrom.records + this.processor.counts.read
  }

  /** True once the rows collected fill a chunk: time to `commit`. */
  get chunkFull(): boolean {
    return this.#batcher.pending >= this.#ctx.chunks.size
  }

  /** Commits the rows collected; `at` is where the file stands after them. */
  async commit(at: FilePosition): Promise<void> {
    this.checkRejects()
    const { rows, hashes } = this.#batcher.take()
    const open = this.processor.open
    open?.finishRows(rows)
    await commitChunk(this.#job, this.run, { kind: 'rows', rows, hashes }, at, this.#ctx.busy, open?.columns())
    this.#gatherWritten(rows, hashes)
    this.#ctx.chunks.record(this.processor.counts.read - this.#recordsAtChunk, performance.now() - this.#chunkStarted)
    this.#chunkStarted = performance.now()
    this.#recordsAtChunk = this.processor.counts.read
    this.#ctx.memory.sample()
    this.#onCommit?.(at)
  }

  /** Commits the rows left after the last record, if any. */
  async commitRest(at: FilePosition): Promise<void> {
    if (this.#batcher.pending > 0) await this.commit(at)
  }

  /** Fails the source past `--max-rejects`. */
  checkRejects(): void {
    if (this.#job.maxRejects !== undefined && this.processor.counts.rejected > this.#job.maxRejects) throw tooManyRejects(this.#job, this.run)
  }

  /** Every record was read and written: the rows no record matched may now go. */
  complete(): void {
    if (this.processor.open !== undefined) addDropped(this.run, this.processor.open.dropped)
    this.run.complete = true
    this.run.deletion = this.known === undefined ? { kind: 'none' } : { kind: 'unseen', known: this.known }
    this.run.writtenRows = this.#written === undefined ? undefined : [this.#written.take()]
  }

  #gatherWritten(rows: readonly RowValues[], hashes: readonly Buffer[]): void {
    const keyAt = this.#job.sourceSink.keyIndexes[0] as number
    for (let i = 0; i < rows.length && this.#written !== undefined; i++) {
      if (!this.#written.add(hashes[i] as Buffer, (rows[i] as RowValues)[keyAt])) this.#written = undefined
    }
  }
}

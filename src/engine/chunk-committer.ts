import type { Checkpoint, RejectRecord, SqliteSink } from '../sink/sqlite-sink.js'

/** Where the committed work of a source ends in its cache file. */
export interface FilePosition {
  /** Byte offset just after the last line committed. */
  byteOffset: number
  records: number
  lines: number
}

/** The position at the very start of a file. */
export const START: FilePosition = Object.freeze({ byteOffset: 0, records: 0, lines: 0 })

/**
 * Commits a source's work chunk by chunk: the rows, the rejects among the records they came from and,
 * where the file can be resumed, the checkpoint after them — one transaction, so that a sync killed at
 * any moment leaves committed chunks with their checkpoint, or nothing of the chunk at all.
 */
export class ChunkCommitter {
  readonly #sink: SqliteSink
  readonly #source: string
  readonly #identity: Pick<Checkpoint, 'contentHash' | 'fingerprint'> | undefined
  readonly #runId: number | undefined
  /** A resumed source keeps the rejects of its committed part; a fresh one forgets the last file's. */
  #rejectsCleared: boolean
  readonly #recordRejects: boolean

  /**
   * `identity`: the content hash and mapping fingerprint a checkpoint is valid for; none when the file
   * cannot be resumed (gzip, a JSON document). `resumed`: where an earlier run stopped, if it did.
   */
  constructor(
    sink: SqliteSink,
    source: string,
    options: {
      identity: Pick<Checkpoint, 'contentHash' | 'fingerprint'> | undefined
      runId: number | undefined
      resumed: boolean
      /** False for a second pass over a file whose rejects the first pass recorded. @default true */
      recordRejects?: boolean
    },
  ) {
    this.#sink = sink
    this.#source = source
    this.#identity = options.identity
    this.#runId = options.runId
    this.#rejectsCleared = options.resumed
    this.#recordRejects = options.recordRejects ?? true
  }

  /** Runs `write` and records `rejects` and the checkpoint at `at` in one transaction. */
  commit<R>(write: () => R, rejects: readonly RejectRecord[], at: FilePosition): R {
    return this.#sink.transaction(() => {
      this.#clearRejectsOnce()
      const result = write()
      if (this.#recordRejects) this.#sink.addRejects(this.#runId, this.#source, rejects)
      if (this.#identity !== undefined) this.#sink.saveCheckpoint(this.#source, { ...this.#identity, ...at }, this.#runId)
      return result
    })
  }

  /**
   * The source's last step, in the caller's transaction: the rejects not committed yet and, when the
   * whole file was read, the end of its checkpoint (the next sync of this file has nothing to resume).
   */
  finish(rejects: readonly RejectRecord[], complete: boolean): void {
    this.#clearRejectsOnce()
    if (this.#recordRejects) this.#sink.addRejects(this.#runId, this.#source, rejects)
    if (complete) this.#sink.clearCheckpoint(this.#source)
  }

  #clearRejectsOnce(): void {
    if (this.#rejectsCleared || !this.#recordRejects) return
    this.#sink.clearRejects(this.#source)
    this.#rejectsCleared = true
  }
}

import type { Checkpoint, ChunkExtras, RejectRecord, SourceEnd } from '../sink/sink.js'

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
 * What goes with a source's rows into each of its transactions: the rejects among the records they
 * came from and, where the file can be resumed, the checkpoint after them — so that a sync killed at any
 * moment leaves committed chunks with their checkpoint, or nothing of the chunk at all.
 */
export class ChunkCommitter {
  readonly #identity: Pick<Checkpoint, 'contentHash' | 'fingerprint'> | undefined
  readonly #runId: number | undefined
  /** A resumed source keeps the rejects of its committed part; a fresh one forgets the last file's. */
  #rejectsCleared: boolean
  readonly #recordRejects: boolean

  /**
   * `identity`: the content hash and mapping fingerprint a checkpoint is valid for; none when the file
   * cannot be resumed (gzip, a JSON document). `resumed`: where an earlier run stopped, if it did.
   */
  constructor(options: {
    identity: Pick<Checkpoint, 'contentHash' | 'fingerprint'> | undefined
    runId: number | undefined
    resumed: boolean
    /** False for a second pass over a file whose rejects the first pass recorded. @default true */
    recordRejects?: boolean
  }) {
    this.#identity = options.identity
    this.#runId = options.runId
    this.#rejectsCleared = options.resumed
    this.#recordRejects = options.recordRejects ?? true
  }

  /** The extras of the transaction that commits the rows up to `at`. */
  chunk(rejects: readonly RejectRecord[], at: FilePosition): ChunkExtras {
    return {
      runId: this.#runId,
      clearRejects: this.#clearRejectsOnce(),
      rejects: this.#recordRejects ? rejects : [],
      checkpoint: this.#identity === undefined ? undefined : { ...this.#identity, ...at },
    }
  }

  /**
   * The source's last step: the rejects not committed yet and, when the whole file was read, the end of
   * its checkpoint and its new state (the next sync of this file has nothing to resume).
   */
  finish(rejects: readonly RejectRecord[], runId: number, synced: SourceEnd['synced'], remove: SourceEnd['remove'], live: SourceEnd['live']): SourceEnd {
    return {
      runId,
      clearRejects: this.#clearRejectsOnce(),
      rejects: this.#recordRejects ? rejects : [],
      synced,
      remove,
      live: synced === undefined ? undefined : live,
    }
  }

  #clearRejectsOnce(): boolean {
    if (this.#rejectsCleared || !this.#recordRejects) return false
    this.#rejectsCleared = true
    return true
  }
}

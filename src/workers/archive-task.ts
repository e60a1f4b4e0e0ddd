import type { SerializedError } from '../util/errors.js'

/**
 * One batch of an archive run for a worker: its JSON lines to compress, and (unless a dry run) the file
 * to write them to, sync, read back and verify.
 */
export interface PackTask {
  /** The JSON lines, one row a line; transferred, not copied. */
  readonly lines: Uint8Array
  readonly rows: number
  /** gzip level, 1 (fastest) to 9 (smallest). */
  readonly level: number
  /** The names of the key columns, in key order: the verify reads each line's key back. */
  readonly keyColumns: readonly string[]
  /** sha256 over the selected rows' keys, each as the JSON array of its values and a newline. */
  readonly keysSha256: string
  /** Where the file goes; undefined in a dry run (compress only, to count the bytes). */
  readonly path: string | undefined
  /** The manifest written beside the file, without the fields only the worker knows (bytes, sha256). */
  readonly manifest: Readonly<Record<string, unknown>> | undefined
}

export type PackResult =
  | {
      readonly ok: true
      /** Size of the compressed file, and its sha256. */
      readonly bytes: number
      readonly sha256: string
      readonly ms: { readonly compress: number; readonly write: number; readonly verify: number }
    }
  | { readonly ok: false; readonly error: SerializedError }

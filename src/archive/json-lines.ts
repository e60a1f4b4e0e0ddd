import { createHash } from 'node:crypto'
import type { SelectedRows } from '../sink/archive-store.js'

/** The sha256 of a batch's keys as selected, which the verify compares the file's keys against. */
export function keysDigest(rows: SelectedRows): string {
  return createHash('sha256').update(rows.keys).digest('hex')
}

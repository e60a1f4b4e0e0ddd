import { createHash } from 'node:crypto'
import type { SelectedRows } from '../sink/archive-store.js'

/** The sha256 of a batch's keys as selected, which the verify compares the file's keys against. */
export function keysDigest(rows: SelectedRows): string {
  return createHash('sha256').update(rows.keys).digest('hex')
}

/** A JSON line (an array of values in the file's column order) back to values; hex back to bytes where `isBytes` says. */
export function parseRow(line: string, isBytes: readonly boolean[]): unknown[] {
  const values = JSON.parse(line) as unknown[]
  for (let i = 0; i < values.length; i++) {
    const value = values[i]
    if (isBytes[i] === true && typeof value === 'string') values[i] = Buffer.from(value, 'hex')
  }
  return values
}

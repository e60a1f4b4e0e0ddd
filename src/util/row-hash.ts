import { hash } from 'node:crypto'

/**
 * The content hash of one record: sha256 of the record's bytes as upstream sent them, base64, cut to
 * 22 characters (132 bits). Hashing the bytes before decoding or parsing is what lets an unchanged
 * record skip both. A string hashes as its UTF-8 bytes, so both forms agree.
 */
export function rowHash(data: string | Uint8Array): string {
  return hash('sha256', data, 'base64').slice(0, 22)
}

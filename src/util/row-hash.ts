import { hash } from 'node:crypto'

/** Bytes of a row hash: 64 bits, stored as a BLOB in `_hash`. */
export const ROW_HASH_BYTES = 8

/**
 * The content hash of one record: the first 64 bits of the sha256 of the record's bytes as upstream
 * sent them. Hashing the bytes before decoding or parsing is what lets an unchanged record skip both;
 * a string hashes as its UTF-8 bytes, so both forms agree. With a million rows, the chance that a
 * changed record takes another live row's hash is about 1 in 10^13.
 */
export function rowHash(data: string | Uint8Array): Buffer {
  return (hash('sha256', data, 'buffer') as unknown as Buffer).subarray(0, ROW_HASH_BYTES)
}

/** A short text fingerprint (for identities such as a mapping), not a row hash. */
export function textFingerprint(text: string): string {
  return hash('sha256', text, 'base64url').slice(0, 22)
}

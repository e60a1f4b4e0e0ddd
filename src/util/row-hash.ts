import { hash } from 'node:crypto'

/**
 * The content hash of one record: sha256 of the mapping's fingerprint and the record's text, base64,
 * cut to 22 characters (132 bits). Hashing the text as it came, before parsing, is what lets an
 * unchanged record skip the parse entirely.
 */
export function rowHash(fingerprint: string, text: string): string {
  return hash('sha256', fingerprint + text, 'base64').slice(0, 22)
}

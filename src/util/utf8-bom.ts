/** EF BB BF: the byte-order mark that Windows tools write at the start of a UTF-8 text file. */
const BOM = [0xef, 0xbb, 0xbf] as const

/** 3 when the bytes start with a UTF-8 byte-order mark, else 0. */
export function utf8BomLength(bytes: Uint8Array): number {
  return bytes.length >= 3 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2] ? 3 : 0
}

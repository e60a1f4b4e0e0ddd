/** Bytes of COPY text gathered before a piece is handed to the stream. */
const PIECE_CHARS = 256 * 1024

const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }
const SPECIAL = /[\\\t\n\r]/
const SPECIALS = /[\\\t\n\r]/g

/** One value in PostgreSQL's COPY text format: `\N` for null, bytea as `\\x…`, text escaped. */
export function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N'
  if (typeof value === 'string') return SPECIAL.test(value) ? value.replace(SPECIALS, (c) => ESCAPES[c] as string) : value
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  if (Buffer.isBuffer(value)) return `\\\\x${value.toString('hex')}`
  return copyValue(String(value))
}

/** Rows as COPY text lines, in pieces of about 256 KB: what `COPY … FROM STDIN` reads. */
export function* copyText(rows: Iterable<readonly unknown[]>): Generator<string> {
  let piece = ''
  for (const row of rows) {
    let line = ''
    for (let i = 0; i < row.length; i++) line += (i === 0 ? '' : '\t') + copyValue(row[i])
    piece += `${line}\n`
    if (piece.length >= PIECE_CHARS) {
      yield piece
      piece = ''
    }
  }
  if (piece !== '') yield piece
}

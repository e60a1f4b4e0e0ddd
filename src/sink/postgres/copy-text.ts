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

/** One row as a COPY text line, its newline included; `last` is a value after the row's own. */
export function copyLine(row: readonly unknown[], last?: unknown): string {
  let line = ''
  for (let i = 0; i < row.length; i++) line += (i === 0 ? '' : '\t') + copyValue(row[i])
  return last === undefined ? `${line}\n` : `${line}\t${copyValue(last)}\n`
}

/** Rows as COPY text lines, in pieces of about 256 KiB: what `COPY … FROM STDIN` reads. */
export function* copyText(rows: Iterable<readonly unknown[]>): Generator<string> {
  yield* inPieces(linesOf(rows))
}

function* linesOf(rows: Iterable<readonly unknown[]>): Generator<string> {
  for (const row of rows) yield copyLine(row)
}

/** Lines joined into pieces of about 256 KiB, so that neither a write per line nor one huge string is made. */
export function* inPieces(lines: Iterable<string | undefined>): Generator<string> {
  let piece = ''
  for (const line of lines) {
    if (line === undefined) continue
    piece += line
    if (piece.length >= PIECE_CHARS) {
      yield piece
      piece = ''
    }
  }
  if (piece !== '') yield piece
}

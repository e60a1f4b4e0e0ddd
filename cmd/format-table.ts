/** The text tables of the CLI's reports; the figures in them come from src/util/format.ts. */

/** `align` has one letter a column: `l` left (text), `r` right (numbers). */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], align: string): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)))
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (align[i] === 'l' ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)]
}

/** An ISO timestamp as `2026-12-01 08:53:30` (UTC). */
export function fmtWhen(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '')
}

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy

/**
 * Milliseconds of a duration written with units, `500ms`, `90s`, `30m`, `1h`, `1d` or combined (`1h30m`);
 * undefined when the text is not one.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim()
  if (trimmed === '') return undefined
  PART.lastIndex = 0
  let total = 0
  let end = 0
  for (let match = PART.exec(trimmed); match !== null; match = PART.exec(trimmed)) {
    total += Number(match[1]) * (UNITS[match[2] as string] as number)
    end = PART.lastIndex
  }
  return end === trimmed.length ? Math.round(total) : undefined
}

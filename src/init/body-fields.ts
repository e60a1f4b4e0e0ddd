/** A scalar of a body outside its records: a candidate next link, cursor, page size or total. */
export interface BodyField {
  /** Object keys down to it, as a pagination path names it (`meta.next_cursor`). */
  readonly path: readonly string[]
  readonly value: string | number | boolean | null
}

const MAX_DEPTH = 4

/**
 * The scalar fields of a body, in order, outside the records array at `recordsPath`: the fields that can say
 * how to fetch the next page. Arrays are not entered; keys holding a dot are skipped (a path cannot name them).
 */
export function bodyFields(body: unknown, recordsPath: readonly string[]): BodyField[] {
  const fields: BodyField[] = []
  const walk = (object: Record<string, unknown>, path: readonly string[]): void => {
    for (const [key, value] of Object.entries(object)) {
      if (key.includes('.') || key === '') continue
      const at = [...path, key]
      if (at.length === recordsPath.length && at.every((part, i) => part === recordsPath[i])) continue
      if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') fields.push({ path: at, value })
      else if (typeof value === 'object' && !Array.isArray(value) && at.length < MAX_DEPTH) walk(value as Record<string, unknown>, at)
    }
  }
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) walk(body as Record<string, unknown>, [])
  return fields
}

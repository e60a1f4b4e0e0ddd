/**
 * Calls `onField` with each field of a record and its value: the top-level fields, and with `depth` > 0
 * the fields of nested objects down to that depth, their path naming every object on the way. Arrays,
 * empty objects and objects below `depth` are values, not parents.
 */
export function forEachField(record: Record<string, unknown>, depth: number, onField: (path: readonly string[], value: unknown) => void): void {
  for (const name in record) {
    if (!Object.hasOwn(record, name)) continue
    const value = record[name]
    if (depth > 0 && isParent(value)) descend(value, [name], depth, onField)
    else onField([name], value)
  }
}

function descend(object: Record<string, unknown>, path: string[], depth: number, onField: (path: readonly string[], value: unknown) => void): void {
  for (const name in object) {
    if (!Object.hasOwn(object, name)) continue
    const value = object[name]
    const at = [...path, name]
    if (at.length <= depth && isParent(value)) descend(value, at, depth, onField)
    else onField(at, value)
  }
}

function isParent(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  for (const name in value) if (Object.hasOwn(value, name)) return true
  return false
}

/** One string per path, for maps keyed by path: the parts cannot hold a NUL that JSON did not escape. */
export function pathKey(path: readonly string[]): string {
  return path.length === 1 ? (path[0] as string) : path.join('\u0000')
}

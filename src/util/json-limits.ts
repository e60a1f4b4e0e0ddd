/**
 * Records nested deeper than this many levels of arrays and objects are rejected. JSON.parse reads any
 * depth, but JSON.stringify recurses: a few thousand levels overflow the main thread's stack.
 */
export const MAX_JSON_DEPTH = 1000

/** True when arrays and objects nest deeper than `limit` levels in `value` (an object is 1 level); without recursion. */
export function isNestedDeeper(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return false
  const values: object[] = [value]
  const depths: number[] = [1]
  while (values.length > 0) {
    const current = values.pop() as object
    const depth = depths.pop() as number
    if (depth > limit) return true
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) {
        values.push(child)
        depths.push(depth + 1)
      }
    }
  }
  return false
}

/** True when a number in `value` is not finite: JSON.parse reads 1e400 as Infinity. Without recursion. */
export function holdsNonFinite(value: unknown): boolean {
  const values: unknown[] = [value]
  while (values.length > 0) {
    const current = values.pop()
    if (typeof current === 'number') {
      if (!Number.isFinite(current)) return true
    } else if (typeof current === 'object' && current !== null) {
      for (const child of Array.isArray(current) ? current : Object.values(current)) values.push(child)
    }
  }
  return false
}

/** A piece of JSON text between values: a bracket, a comma, a key. */
class Punctuation {
  constructor(readonly text: string) {}
}
const COMMA = new Punctuation(',')
const END_ARRAY = new Punctuation(']')
const END_OBJECT = new Punctuation('}')

/**
 * JSON.stringify of parsed JSON (plain objects, arrays, scalars), of any depth: a value too deep for
 * JSON.stringify's recursion is written without recursion, to the same text.
 */
export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null'
  } catch (err) {
    if (!(err instanceof RangeError)) throw err
  }
  let text = ''
  const todo: unknown[] = [value]
  while (todo.length > 0) {
    const next = todo.pop()
    if (next instanceof Punctuation) {
      text += next.text
    } else if (Array.isArray(next)) {
      text += '['
      todo.push(END_ARRAY)
      for (let i = next.length - 1; i >= 0; i--) {
        todo.push(next[i] ?? null)
        if (i > 0) todo.push(COMMA)
      }
    } else if (typeof next === 'object' && next !== null) {
      text += '{'
      todo.push(END_OBJECT)
      const entries = Object.entries(next).filter(([, v]) => v !== undefined)
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, v] = entries[i] as [string, unknown]
        todo.push(v, new Punctuation(`${JSON.stringify(key)}:`))
        if (i > 0) todo.push(COMMA)
      }
    } else {
      text += JSON.stringify(next) ?? 'null'
    }
  }
  return text
}

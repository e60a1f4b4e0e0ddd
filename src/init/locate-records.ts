import { CachesyncError } from '../util/errors.js'

/** Where a body holds its records, and why there. */
export interface RecordsLocation {
  /** The keys down to the records array; empty when the body is the array. */
  readonly path: readonly string[]
  readonly records: readonly Record<string, unknown>[]
  /** One sentence: why this array. */
  readonly reason: string
}

interface Candidate {
  readonly path: readonly string[]
  readonly records: Record<string, unknown>[]
}

/** Objects are searched this deep for arrays of records: `{"data": {"items": […]}}` is depth 2. */
const MAX_DEPTH = 4

/**
 * Finds the records in a JSON body: the body itself when it is an array of objects, else the largest array
 * of objects inside it (the shallowest on a tie), by a path of object keys. Throws ERR_PARSE saying what the
 * body holds when there is none, or when the records array is empty (nothing to propose a key from).
 */
export function locateRecords(body: unknown): RecordsLocation {
  if (Array.isArray(body)) {
    if (body.length === 0) throw new CachesyncError('ERR_PARSE', 'the body is an empty array: there is no record to propose a key and columns from')
    if (!body.every(isObject)) throw new CachesyncError('ERR_PARSE', `the body is an array of ${describeElements(body)}, not of objects`)
    return { path: [], records: body, reason: `the body is an array of ${body.length} objects` }
  }
  if (!isObject(body)) throw new CachesyncError('ERR_PARSE', `the body is ${describeValue(body)}, not an array of objects or an object holding one`)
  const found: Candidate[] = []
  const empty: string[] = []
  collect(body, [], found, empty)
  if (found.length === 0) {
    const why =
      empty.length > 0
        ? `whose only arrays of records are empty (${empty.join(', ')}): there is no record to propose a key and columns from`
        : `with no array of objects in it (its keys: ${Object.keys(body).slice(0, 8).join(', ') || 'none'})`
    throw new CachesyncError('ERR_PARSE', `the body is an object ${why}`)
  }
  // Stable sort: on a tie the shallower array wins, then the one met first.
  const ranked = [...found].sort((a, b) => b.records.length - a.records.length || a.path.length - b.path.length)
  const best = ranked[0] as Candidate
  const others = ranked.slice(1, 4).map((c) => `${c.path.join('.')} with ${c.records.length}`)
  const also = others.length === 0 ? 'the only array of objects in the body' : `the largest array of objects in the body (also ${others.join(', ')})`
  return { path: best.path, records: best.records, reason: `${best.path.join('.')}: ${best.records.length} records, ${also}` }
}

function collect(object: Record<string, unknown>, path: readonly string[], found: Candidate[], empty: string[]): void {
  for (const [key, value] of Object.entries(object)) {
    // recordsPath is split on dots: a key holding one cannot be named.
    if (key.includes('.') || key === '') continue
    const at = [...path, key]
    if (Array.isArray(value)) {
      if (value.length > 0 && value.every(isObject)) found.push({ path: at, records: value })
      else if (value.length === 0 && looksLikeRecords(key)) empty.push(at.join('.'))
    } else if (isObject(value) && at.length < MAX_DEPTH) {
      collect(value, at, found, empty)
    }
  }
}

/** An empty array worth naming in an error: one whose name says it would hold the records. */
function looksLikeRecords(key: string): boolean {
  return /^(data|items|results|records|rows|entries|hits|list|values|objects|elements|content|nodes|edges|docs)$/i.test(key) || key.endsWith('s')
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)})`
  return `a ${typeof value}`
}

function describeElements(values: readonly unknown[]): string {
  const kinds = new Set(values.map((v) => (v === null ? 'nulls' : Array.isArray(v) ? 'arrays' : isObject(v) ? 'objects' : `${typeof v}s`)))
  return [...kinds].join(' and ')
}

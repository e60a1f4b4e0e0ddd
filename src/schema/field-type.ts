import type { ColumnType } from '../config/config-schema.js'

/**
 * What the values of an inferred column were, joined over every value seen: `null` while only nulls
 * came, then the narrowest type that holds them all without changing one.
 */
export type FieldType = 'null' | 'boolean' | 'integer' | 'real' | 'text' | 'json'

/** A column (by position) whose values are to be stored as a wider type (see `widenStored`). */
export interface ColumnWidening {
  readonly index: number
  readonly from: FieldType
  readonly to: FieldType
}

export const FIELD_TYPES: readonly FieldType[] = ['null', 'boolean', 'integer', 'real', 'text', 'json']

/** A number spelt in a string as JSON would spell it, no leading zero, no `+`, no exponent. */
const INTEGER_TEXT = /^-?(?:0|[1-9][0-9]*)$/
const DECIMAL_TEXT = /^-?(?:0|[1-9][0-9]*)\.[0-9]+$/
/** Significant digits that every double holds exactly: a decimal with no more reads back the same. */
const EXACT_DIGITS = 15

/**
 * The type of one JSON value. An integer beyond 2^53 arrives from JSON.parse already rounded: a real.
 * A string that spells a number (`"110601"`, `"440.58750"`: many APIs send numbers so) is that number,
 * unless the number would not be the string's whole meaning: a leading zero (`"01234"`, a postcode), a
 * `+` (`"+4930…"`, a phone number), an exponent, an integer beyond 2^53 or more than 15 significant digits.
 */
export function typeOfValue(value: unknown): FieldType {
  if (value === null || value === undefined) return 'null'
  switch (typeof value) {
    case 'boolean':
      return 'boolean'
    case 'number':
      return Number.isSafeInteger(value) ? 'integer' : 'real'
    case 'string':
      return numberInText(value) ?? 'text'
    default:
      return 'json'
  }
}

function numberInText(text: string): 'integer' | 'real' | undefined {
  if (text.length === 0 || text.length > 24) return undefined
  if (INTEGER_TEXT.test(text)) return Number.isSafeInteger(Number(text)) ? 'integer' : undefined
  if (!DECIMAL_TEXT.test(text)) return undefined
  const digits = text.replace(/^-?0*\.?0*/, '').replace('.', '').length
  return digits <= EXACT_DIGITS ? 'real' : undefined
}

/**
 * The narrowest type that holds values of both: null gives way to anything, integers widen to reals,
 * and any other mix becomes text (a number as its digits, a boolean as `true`/`false`, an object or
 * array as its JSON text), where every value keeps its meaning.
 */
export function joinTypes(a: FieldType, b: FieldType): FieldType {
  if (a === b || b === 'null') return a
  if (a === 'null') return b
  if ((a === 'integer' && b === 'real') || (a === 'real' && b === 'integer')) return 'real'
  return 'text'
}

/** True when `to` holds every value of `from` (`from` is `to` or narrower). */
export function holds(to: FieldType, from: FieldType): boolean {
  return joinTypes(to, from) === to
}

/** The column type a field type is stored as: a column that has seen only nulls is text until it learns more. */
export function storageType(type: FieldType): ColumnType {
  return type === 'null' ? 'text' : type
}

/** The configured column type that reads back as this field type (`schema` prints it). */
export function fieldTypeOf(type: ColumnType): FieldType {
  return type
}

export type StoredValue = string | number | null

/** A JSON value as stored in a column of this type, which holds it (`holds(type, typeOfValue(value))`). */
export function toStored(value: unknown, type: FieldType): StoredValue {
  if (value === null || value === undefined) return null
  switch (type) {
    case 'boolean':
      return value ? 1 : 0
    case 'integer':
    case 'real':
      // A number spelt in a string (see `typeOfValue`) is stored as the number.
      return typeof value === 'string' ? Number(value) : (value as number)
    case 'json':
      return JSON.stringify(value)
    case 'text':
      if (typeof value === 'string') return value
      if (typeof value === 'object') return JSON.stringify(value)
      return String(value)
    default:
      return null
  }
}

/**
 * A value stored under `from` as it is stored under the wider `to`: what a widening does to the rows
 * already in the table, and to rows staged before the table was widened.
 */
export function widenStored(value: StoredValue, from: FieldType, to: FieldType): StoredValue {
  if (value === null || from === to) return value
  if (to === 'real') return Number(value)
  if (to !== 'text') return value
  if (from === 'boolean') return value === 1 || value === '1' ? 'true' : 'false'
  return typeof value === 'string' ? value : String(value)
}

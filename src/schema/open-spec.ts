import type { SchemaPolicy } from '../config/config-schema.js'
import type { FieldType } from './field-type.js'

/** An inferred column as a mapper knows it: the field it holds and the type of the values seen so far. */
export interface OpenColumn {
  readonly path: readonly string[]
  readonly type: FieldType
  /** Part of the key: its type is fixed, and a record without it is rejected. */
  readonly key: boolean
}

/** How a source without a column for every field maps the rest (`'*': auto`, or no `columns`). */
export interface OpenSpec {
  readonly flatten: number
  readonly policy: SchemaPolicy
  /** The inferred columns the table has, in its order; they follow the configured ones in every row. */
  readonly columns: readonly OpenColumn[]
}

import type { InferredColumn, ResolvedSource } from '../config/resolve-config.js'
import { ColumnNamer } from '../schema/column-names.js'
import { joinTypes } from '../schema/field-type.js'
import { pathKey } from '../schema/flatten-record.js'
import type { OpenColumn } from '../schema/open-spec.js'
import type { ChunkColumns, SchemaChange } from '../sink/sink.js'

/** What a chunk of an open source needs before its rows can be written: see `SchemaTracker.plan`. */
export interface ChunkPlan {
  readonly columns: ChunkColumns
  /** The columns to add and widen, in the chunk's transaction; undefined when the table already fits. */
  readonly change: SchemaChange | undefined
}

/**
 * The inferred columns of a source's table as they stand, on the coordinator's thread: each chunk comes
 * with the columns its mapper ended with, which may have added fields or widened types since, and the
 * tracker says what the table needs for it. Its state moves only once a chunk's change is committed.
 */
export class SchemaTracker {
  readonly #configured: readonly string[]
  readonly #columns = new Map<string, InferredColumn>()
  readonly #namer: ColumnNamer

  constructor(source: ResolvedSource) {
    this.#configured = source.columns.slice(0, source.columns.length - source.inferred.length).map((c) => c.name)
    for (const column of source.inferred) this.#columns.set(pathKey(column.path), column)
    this.#namer = new ColumnNamer(source.columns.map((c) => c.name))
  }

  /**
   * A chunk's rows hold the configured columns, then one value per inferred column of `mapped`. Each
   * field's column is named (a new field gets a new name); where the chunk's values are wider than the
   * column, the column widens; where narrower (another range widened it first), the values convert.
   */
  plan(mapped: readonly OpenColumn[]): ChunkPlan {
    const names = [...this.#configured]
    const convert: ChunkColumns['convert'][number][] = names.map(() => undefined)
    const add: InferredColumn[] = []
    const widen: { name: string; from: InferredColumn['type']; to: InferredColumn['type'] }[] = []
    for (const column of mapped) {
      const known = this.#columns.get(pathKey(column.path))
      if (known === undefined) {
        const added = { name: this.#namer.name(column.path), path: column.path, type: column.type, key: false }
        add.push(added)
        names.push(added.name)
        convert.push(undefined)
        continue
      }
      const type = joinTypes(known.type, column.type)
      if (type !== known.type) widen.push({ name: known.name, from: known.type, to: type })
      names.push(known.name)
      convert.push(type === column.type ? undefined : { from: column.type, to: type })
    }
    return { columns: { names, convert }, change: add.length === 0 && widen.length === 0 ? undefined : { add, widen } }
  }

  /** The change was committed: the table has these columns and types now. */
  applied(change: SchemaChange): void {
    for (const column of change.add) this.#columns.set(pathKey(column.path), column)
    for (const { name, to } of change.widen) {
      for (const [key, column] of this.#columns) if (column.name === name) this.#columns.set(key, { ...column, type: to })
    }
  }
}

import { createHash } from 'node:crypto'

/** Names cachesync keeps for itself in every synced table. */
export const RESERVED_COLUMNS: readonly string[] = ['_hash', '_deleted_at']

const MAX_IDENTIFIER = 63

/**
 * Gives each new field a column name: its path joined by `__`, anything but letters, digits and `_`
 * made `_`, a leading digit prefixed, at most 63 characters, and a suffix where the name is taken —
 * compared without case, since SQLite's names have none. `taken` holds the names in use (any case).
 */
export class ColumnNamer {
  readonly #taken = new Set<string>()

  constructor(taken: Iterable<string>) {
    for (const name of [...RESERVED_COLUMNS, ...taken]) this.#taken.add(name.toLowerCase())
  }

  name(path: readonly string[]): string {
    const base = plainName(path)
    let name = base
    for (let n = 2; this.#taken.has(name.toLowerCase()); n++) {
      const suffix = `_${n}`
      name = `${base.slice(0, MAX_IDENTIFIER - suffix.length)}${suffix}`
    }
    this.#taken.add(name.toLowerCase())
    return name
  }
}

function plainName(path: readonly string[]): string {
  let name = path.map((part) => part.replace(/[^A-Za-z0-9_]/g, '_')).join('__')
  if (!/^[A-Za-z_]/.test(name)) name = `c_${name}`
  if (name.length > MAX_IDENTIFIER) name = `${name.slice(0, MAX_IDENTIFIER - 9)}_${createHash('sha256').update(path.join('.')).digest('hex').slice(0, 8)}`
  return name
}

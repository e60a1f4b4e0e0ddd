import { HashSet64 } from '../../util/hash-set64.js'
import { openDatabase } from './sqlite-driver.js'
import { translateSqliteError } from './sqlite-errors.js'
import { type RowidRange, readLiveRows } from './sqlite-schema.js'

/** Bytes of the file SQLite may map while scanning: reading mapped pages skips a copy per page. */
const SCAN_MMAP_BYTES = 4 * 1024 ** 3

/**
 * The live rows of `table` as a set in shared memory, read on a connection of its own (read-only, the
 * file mapped), so that a worker thread can load it while the coordinator goes on merging. WAL
 * lets it read beside the coordinator's writes; it sees what was committed when it began. Several threads can each
 * read a `range` of the rowids, for a set of their own (see `HashSetUnion`).
 */
export function readLiveRowSet(dbPath: string, table: string, range: RowidRange = {}): HashSet64 {
  try {
    const db = openDatabase(dbPath, { readonly: true, fileMustExist: true })
    try {
      db.pragma(`mmap_size = ${SCAN_MMAP_BYTES}`)
      return HashSet64.fromPacked(readLiveRows(db, table, range), { shared: true })
    } finally {
      db.close()
    }
  } catch (err) {
    throw translateSqliteError(err, dbPath)
  }
}

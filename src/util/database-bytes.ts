import { statSync } from 'node:fs'

/** Bytes of a SQLite database file and its WAL together; 0 for files that are not there. */
export function databaseBytes(path: string): number {
  return sizeOf(path) + sizeOf(`${path}-wal`)
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size
  } catch {
    return 0
  }
}

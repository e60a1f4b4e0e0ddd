import { rmSync } from 'node:fs'

/** The directory of a database's saved live rows (see `SqliteSink.savedLiveRows`). */
export function liveRowsDir(dbPath: string): string {
  return `${dbPath}.live`
}

/** Removes a SQLite database and everything that goes with it: journal, WAL, shared memory, saved live rows. */
export function removeDatabaseFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${path}${suffix}`, { force: true })
  rmSync(liveRowsDir(path), { recursive: true, force: true })
}

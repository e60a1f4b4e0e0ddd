import { copyFileSync, existsSync } from 'node:fs'
import { openDatabase } from './sqlite-driver.js'

/**
 * A dry run syncs into a scratch copy of the database (SQLite's online backup, so a WAL file is
 * included), then throws the copy away: its counts are those the real run would apply, and the real
 * file's bytes are never touched.
 */
export async function copyForDryRun(dbPath: string): Promise<string> {
  const scratch = `${dbPath}.dry-run-${process.pid}`
  if (!existsSync(dbPath)) return scratch
  // Without a WAL the file is the whole database; opening it, even read-only, would leave -wal and -shm files.
  if (!existsSync(`${dbPath}-wal`)) {
    copyFileSync(dbPath, scratch)
    return scratch
  }
  const source = openDatabase(dbPath, { readonly: true, fileMustExist: true })
  try {
    await source.backup(scratch)
  } finally {
    source.close()
  }
  return scratch
}

import { cpSync, rmSync } from 'node:fs'
import type { ScratchCopy } from '../sink.js'
import { liveRowsDir, removeDatabaseFiles } from './database-files.js'
import { lockPath } from './db-lock.js'
import { copyForDryRun } from './dry-run-copy.js'

/**
 * A copy of the database beside it (SQLite's online backup, as a dry run takes it), with its saved live
 * rows, so that a sync into it goes as one into the database would. The production file is only read
 * and its lock is not taken: a sync running meanwhile is not disturbed.
 */
export async function createSqliteScratchCopy(dbPath: string): Promise<ScratchCopy> {
  const scratch = await copyForDryRun(dbPath)
  copyLiveRows(dbPath, scratch)
  return {
    sink: { kind: 'sqlite', path: scratch },
    remove: async () => {
      removeDatabaseFiles(scratch)
      rmSync(lockPath(scratch), { force: true })
    },
  }
}

/** Best effort: a sync pruning the saved live rows meanwhile only makes the copy read its tables. */
function copyLiveRows(db: string, scratch: string): void {
  try {
    cpSync(liveRowsDir(db), liveRowsDir(scratch), { recursive: true })
  } catch {
    rmSync(liveRowsDir(scratch), { recursive: true, force: true })
  }
}

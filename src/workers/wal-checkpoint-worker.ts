/**
 * A thread that checkpoints a SQLite database's write-ahead log while a sync writes it, on a connection of
 * its own: the copy of the log into the database file and its two fsyncs then happen beside the writer,
 * not inside its commits (see `WalCheckpointer`). A PASSIVE checkpoint never blocks the writer.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { openDatabase } from '../sink/sqlite/sqlite-driver.js'

export interface WalCheckpointData {
  path: string
  everyMs: number
}

const { path, everyMs } = workerData as WalCheckpointData
const db = openDatabase(path, { fileMustExist: true })
// The writer's durability: a checkpoint syncs the log before copying it and the database after.
db.pragma('synchronous = NORMAL')
db.pragma('cache_size = -2048')

let failed = false
const checkpoint = (): void => {
  if (failed) return
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
  } catch (err) {
    failed = true
    parentPort?.postMessage({ failed: err instanceof Error ? err.message : String(err) })
  }
}
const timer = setInterval(checkpoint, everyMs)
parentPort?.on('message', () => {
  clearInterval(timer)
  db.close()
  parentPort?.postMessage({ stopped: true })
})

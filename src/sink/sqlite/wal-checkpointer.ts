import { Worker } from 'node:worker_threads'
import type { Logger } from '../../util/logger.js'
import { workerFilename } from '../../workers/worker-file.js'
import type { SqliteDatabase } from './sqlite-driver.js'

/** How often the thread checkpoints: each one with new pages costs two fsyncs. */
const EVERY_MS = 250

/**
 * Moves a bulk write's checkpoints off the writer's thread. SQLite checkpoints in the commit that crosses
 * `wal_autocheckpoint`: the writer then copies the log into the database and waits for two fsyncs, about
 * a third of a first load's commit time here. While this runs, the writer's automatic checkpoints are off
 * and a thread of its own checkpoints every {@link EVERY_MS} ms; stopped (or failed), the writer's
 * setting is restored, so the log never grows without bound.
 */
export class WalCheckpointer {
  readonly #worker: Worker
  readonly #db: SqliteDatabase
  readonly #autocheckpoint: number
  readonly #exited: Promise<void>

  private constructor(db: SqliteDatabase, path: string, autocheckpoint: number, logger: Logger) {
    this.#db = db
    this.#autocheckpoint = autocheckpoint
    this.#worker = new Worker(workerFilename('wal-checkpoint-worker'), { workerData: { path, everyMs: EVERY_MS } })
    // It must never keep a finished sync's process alive.
    this.#worker.unref()
    const restore = (why: string): void => {
      logger.debug({ why }, 'background WAL checkpoints stopped: the writer checkpoints again')
      this.#restore()
    }
    this.#worker.on('message', (message: { failed?: string }) => {
      if (message.failed !== undefined) restore(message.failed)
    })
    this.#worker.on('error', (err) => restore(err.message))
    this.#exited = new Promise<void>((resolve) => this.#worker.once('exit', () => resolve()))
    this.#worker.on('message', (message: { stopped?: boolean }) => {
      if (message.stopped) void this.#worker.terminate()
    })
  }

  /** Starts checkpointing `path`, whose writer is `db`, whose automatic checkpoints stop meanwhile. */
  static start(db: SqliteDatabase, path: string, autocheckpoint: number, logger: Logger): WalCheckpointer {
    const checkpointer = new WalCheckpointer(db, path, autocheckpoint, logger)
    db.pragma('wal_autocheckpoint = 0')
    return checkpointer
  }

  /** Stops the thread (it closes its connection) and gives the writer its automatic checkpoints back. */
  async stop(): Promise<void> {
    this.#worker.postMessage('stop')
    await this.#exited
    this.#restore()
  }

  #restore(): void {
    if (this.#db.open) this.#db.pragma(`wal_autocheckpoint = ${this.#autocheckpoint}`)
  }
}

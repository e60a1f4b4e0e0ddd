import { inspectLock, PidLock } from '../../util/pid-lock.js'
import type { SyncHolder } from '../sink-reader.js'

/**
 * The single-writer lock of a database: a `<db>.lock` file created exclusively. A lock whose holder
 * died (same host, no such pid) is taken over; a live holder makes the second sync fail at once.
 */
export class DbLock {
  readonly #lock: PidLock

  private constructor(lock: PidLock) {
    this.#lock = lock
  }

  get path(): string {
    return this.#lock.path
  }

  static acquire(dbPath: string): DbLock {
    return new DbLock(
      PidLock.acquire(
        lockPath(dbPath),
        (holder) => `Database ${dbPath} is locked by another sync: pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}`,
      ),
    )
  }

  /** Who holds the lock of `dbPath`, and whether that process lives; undefined when nobody does. */
  static inspect(dbPath: string): SyncHolder | undefined {
    return inspectLock(lockPath(dbPath))
  }

  release(): void {
    this.#lock.release()
  }
}

/** The lock file of a database. */
export function lockPath(dbPath: string): string {
  return `${dbPath}.lock`
}

import { PidLock } from '../../util/pid-lock.js'

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
        `${dbPath}.lock`,
        (holder) => `Database ${dbPath} is locked by another sync: pid ${holder.pid} on ${holder.host}, since ${holder.startedAt}`,
      ),
    )
  }

  release(): void {
    this.#lock.release()
  }
}

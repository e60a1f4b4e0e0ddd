import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { CachesyncError } from './errors.js'
import { isProcessAlive } from './process-alive.js'

/** Who holds a lock, as written in its file. */
export interface LockHolder {
  readonly pid: number
  readonly host: string
  readonly startedAt: string
}

/**
 * A lock file created exclusively, holding the pid, host and start time of its holder. A lock whose holder
 * died (same host, no such pid) is taken over; a live holder makes `acquire` throw ERR_LOCKED with the message
 * `describe` makes of the holder.
 */
export class PidLock {
  readonly path: string
  #held = false

  private constructor(path: string) {
    this.path = path
  }

  static acquire(path: string, describe: (holder: LockHolder) => string): PidLock {
    const lock = new PidLock(path)
    lock.#take(describe)
    return lock
  }

  #take(describe: (holder: LockHolder) => string): void {
    const me: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() }
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        writeFileSync(this.path, JSON.stringify(me), { flag: 'wx' })
        this.#held = true
        return
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new CachesyncError('ERR_IO', `Cannot create lock file ${this.path}: ${(err as Error).message}`, { cause: err })
        }
      }
      const holder = readHolder(this.path)
      if (holder !== undefined && isAlive(holder)) throw new CachesyncError('ERR_LOCKED', describe(holder))
      // The holder is gone (killed, rebooted): its lock is stale.
      rmSync(this.path, { force: true })
    }
    throw new CachesyncError('ERR_LOCKED', `Could not take the lock ${this.path}: another process keeps recreating it`)
  }

  release(): void {
    if (!this.#held) return
    this.#held = false
    const holder = readHolder(this.path)
    if (holder?.pid === process.pid) rmSync(this.path, { force: true })
  }
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockHolder>
    if (typeof parsed.pid !== 'number') return undefined
    return { pid: parsed.pid, host: String(parsed.host ?? ''), startedAt: String(parsed.startedAt ?? '?') }
  } catch {
    return undefined
  }
}

function isAlive(holder: LockHolder): boolean {
  // On another host the pid means nothing here: trust the lock.
  if (holder.host !== hostname()) return true
  return isProcessAlive(holder.pid)
}

/** Who holds the lock at `path`, and whether that process is alive; undefined when there is no lock file. */
export function inspectLock(path: string): (LockHolder & { readonly alive: boolean }) | undefined {
  const holder = readHolder(path)
  return holder === undefined ? undefined : { ...holder, alive: isAlive(holder) }
}

import { setTimeout as sleep } from 'node:timers/promises'

/** Waits `ms` milliseconds, or rejects when `signal` aborts. Injected so that tests need not wait. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>

export const realSleep: Sleep = (ms, signal) => sleep(ms, undefined, signal === undefined ? {} : { signal })

/**
 * Spaces the requests to each host at least `1000 / requestsPerSecond` ms apart, start to start. Each call
 * reserves the next free slot at once, so concurrent callers queue in call order.
 */
export class HostPacer {
  readonly #intervalMs: number
  readonly #now: () => number
  readonly #sleep: Sleep
  readonly #next = new Map<string, number>()

  constructor(requestsPerSecond: number | undefined, now: () => number, sleep: Sleep) {
    this.#intervalMs = requestsPerSecond === undefined ? 0 : 1000 / requestsPerSecond
    this.#now = now
    this.#sleep = sleep
  }

  async wait(host: string, signal?: AbortSignal): Promise<void> {
    if (this.#intervalMs === 0) return
    const now = this.#now()
    const slot = Math.max(now, this.#next.get(host) ?? now)
    this.#next.set(host, slot + this.#intervalMs)
    if (slot > now) await this.#sleep(slot - now, signal)
  }
}

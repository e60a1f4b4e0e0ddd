import type { ResolvedBreaker } from '../config/resolve-warm.js'
import { CachesyncError } from '../util/errors.js'

type State = { kind: 'closed'; failures: number } | { kind: 'open'; until: number } | { kind: 'half-open'; probing: boolean }

/**
 * A host's breaker as it is kept between runs: open until a time, or closed after some consecutive failures.
 * A half-open one is kept as open until a time past, so that the next run sends one probe.
 */
export type SavedBreaker = { readonly openUntil: string } | { readonly failures: number }

/**
 * Circuit breakers, one per host. `failures` consecutive host failures open a host's circuit: for `openFor`
 * every request to it fails at once. Then one request goes through as a probe (half-open): its success closes
 * the circuit, its failure opens it again. Share one instance between runs to carry the state over.
 */
export class CircuitBreakers {
  readonly #policy: ResolvedBreaker
  readonly #now: () => number
  readonly #hosts = new Map<string, State>()
  readonly #onOpen: ((host: string) => void) | undefined
  #opens = 0

  /** `onOpen`: told each time a circuit opens, to save the state at once (a run killed later keeps it). */
  constructor(policy: ResolvedBreaker, now: () => number = Date.now, onOpen?: (host: string) => void) {
    this.#policy = policy
    this.#now = now
    this.#onOpen = onOpen
  }

  /** Takes over the breakers an earlier run saved: an open period holds across runs. */
  restore(saved: Readonly<Record<string, SavedBreaker>>): void {
    for (const [host, entry] of Object.entries(saved)) {
      if ('openUntil' in entry) {
        const until = Date.parse(entry.openUntil)
        if (!Number.isNaN(until)) this.#hosts.set(host, { kind: 'open', until })
      } else if (Number.isInteger(entry.failures) && entry.failures > 0) {
        this.#hosts.set(host, { kind: 'closed', failures: entry.failures })
      }
    }
  }

  /** The hosts whose breaker is not plainly closed, as they may be saved. */
  snapshot(): Record<string, SavedBreaker> {
    const out: Record<string, SavedBreaker> = {}
    for (const [host, state] of this.#hosts) {
      if (state.kind === 'open') out[host] = { openUntil: new Date(state.until).toISOString() }
      else if (state.kind === 'half-open') out[host] = { openUntil: new Date(this.#now()).toISOString() }
      else if (state.failures > 0) out[host] = { failures: state.failures }
    }
    return out
  }

  /** Lets a request to `host` go, or throws ERR_CIRCUIT_OPEN. A request let through must report success or failure. */
  enter(host: string): void {
    const state = this.#hosts.get(host)
    if (state === undefined || state.kind === 'closed') return
    if (state.kind === 'open') {
      const left = state.until - this.#now()
      if (left > 0) {
        throw new CachesyncError(
          'ERR_CIRCUIT_OPEN',
          `circuit open for ${host} after ${this.#policy.failures} consecutive failures: not trying it for another ${Math.ceil(left / 1000)} s`,
        )
      }
      this.#hosts.set(host, { kind: 'half-open', probing: true })
      return
    }
    if (state.probing) throw new CachesyncError('ERR_CIRCUIT_OPEN', `circuit half-open for ${host}: waiting for the probe request to succeed`)
    state.probing = true
  }

  succeeded(host: string): void {
    this.#hosts.set(host, { kind: 'closed', failures: 0 })
  }

  failed(host: string): void {
    const state = this.#hosts.get(host) ?? { kind: 'closed', failures: 0 }
    const failures = state.kind === 'closed' ? state.failures + 1 : this.#policy.failures
    const opens = failures >= this.#policy.failures
    if (opens && state.kind !== 'open') this.#opens++
    this.#hosts.set(host, opens ? { kind: 'open', until: this.#now() + this.#policy.openForMs } : { kind: 'closed', failures })
    if (opens) this.#onOpen?.(host)
  }

  /** Times a circuit opened (closed or half-open to open) since these breakers were made. */
  get opens(): number {
    return this.#opens
  }

  /** A request that was let through ended without telling anything about the host (cancelled, bad body). */
  released(host: string): void {
    const state = this.#hosts.get(host)
    if (state?.kind === 'half-open') state.probing = false
  }

  /** `closed`, `open` or `half-open` (open but due for a probe reads as half-open). */
  stateOf(host: string): 'closed' | 'open' | 'half-open' {
    const state = this.#hosts.get(host)
    if (state === undefined || state.kind === 'closed') return 'closed'
    if (state.kind === 'open') return state.until > this.#now() ? 'open' : 'half-open'
    return 'half-open'
  }
}

import { describe, expect, it } from 'vitest'
import { CircuitBreakers } from '../../../src/warm/circuit-breaker.js'

function breakers(): { b: CircuitBreakers; clock: { now: number } } {
  const clock = { now: 1_000_000 }
  return { b: new CircuitBreakers({ failures: 3, openForMs: 60_000 }, () => clock.now), clock }
}

function failFast(b: CircuitBreakers, host: string): string {
  try {
    b.enter(host)
  } catch (err) {
    expect((err as { code: string }).code).toBe('ERR_CIRCUIT_OPEN')
    return (err as Error).message
  }
  throw new Error('the request was let through')
}

describe('circuit breaker', () => {
  it('counts the times a circuit opened: from closed, and again from half-open after a failed probe', () => {
    const { b, clock } = breakers()
    expect(b.opens).toBe(0)
    for (let i = 0; i < 3; i++) {
      b.enter('a:1')
      b.failed('a:1')
    }
    expect(b.opens).toBe(1)
    clock.now += 60_001
    b.enter('a:1')
    b.failed('a:1')
    expect(b.stateOf('a:1')).toBe('open')
    expect(b.opens).toBe(2)
  })

  it('opens after the configured consecutive failures, for that host only', () => {
    const { b } = breakers()
    for (let i = 0; i < 2; i++) {
      b.enter('a:1')
      b.failed('a:1')
    }
    expect(b.stateOf('a:1')).toBe('closed')
    b.enter('a:1')
    b.failed('a:1')
    expect(b.stateOf('a:1')).toBe('open')
    expect(failFast(b, 'a:1')).toBe('circuit open for a:1 after 3 consecutive failures: not trying it for another 60 s')
    expect(() => b.enter('b:1')).not.toThrow()
  })

  it('counts consecutive failures only: a success starts the count again', () => {
    const { b } = breakers()
    b.failed('h')
    b.failed('h')
    b.succeeded('h')
    b.failed('h')
    b.failed('h')
    expect(b.stateOf('h')).toBe('closed')
  })

  it('lets one probe through once the open time has passed; its success closes the circuit', () => {
    const { b, clock } = breakers()
    for (let i = 0; i < 3; i++) b.failed('h')
    clock.now += 59_999
    failFast(b, 'h')
    clock.now += 1
    expect(b.stateOf('h')).toBe('half-open')
    b.enter('h')
    expect(failFast(b, 'h')).toContain('half-open')
    b.succeeded('h')
    expect(b.stateOf('h')).toBe('closed')
    expect(() => b.enter('h')).not.toThrow()
  })

  it('opens again for the full time when the probe fails', () => {
    const { b, clock } = breakers()
    for (let i = 0; i < 3; i++) b.failed('h')
    clock.now += 60_000
    b.enter('h')
    b.failed('h')
    expect(b.stateOf('h')).toBe('open')
    clock.now += 59_000
    failFast(b, 'h')
  })

  it('a probe that ended without a verdict (cancelled, bad body) lets the next one through', () => {
    const { b, clock } = breakers()
    for (let i = 0; i < 3; i++) b.failed('h')
    clock.now += 60_000
    b.enter('h')
    b.released('h')
    expect(() => b.enter('h')).not.toThrow()
  })
})

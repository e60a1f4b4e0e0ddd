import { describe, expect, it } from 'vitest'
import { DEFAULT_WARM } from '../../../src/config/resolve-warm.js'
import { HttpStatusError } from '../../../src/util/errors.js'
import { backoffDelay, describeTransportError, isRetryable, parseRetryAfter } from '../../../src/warm/retry-policy.js'

const policy = DEFAULT_WARM.retry

describe('backoff', () => {
  it('has the documented defaults: 5 attempts, 1 s first, base 2, cap 30 s, up to 10 % jitter', () => {
    expect(policy).toMatchObject({ attempts: 5, initialDelayMs: 1000, maxDelayMs: 30_000, factor: 2, jitter: 0.1 })
  })

  it('doubles from the first delay and stops growing at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(policy, n, () => 0))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000])
  })

  it('adds at most the jitter fraction, drawn from the random source', () => {
    expect(backoffDelay(policy, 1, () => 0.5)).toBe(1050)
    expect(backoffDelay(policy, 6, () => 0.999_999)).toBe(33_000)
  })

  it('follows other parameters', () => {
    const fast = { ...policy, initialDelayMs: 10, factor: 3, maxDelayMs: 100, jitter: 0 }
    expect([1, 2, 3].map((n) => backoffDelay(fast, n, Math.random))).toEqual([10, 30, 90])
  })
})

describe('what is retried', () => {
  it('retries 429 and 5xx, not other statuses', () => {
    for (const status of [429, 500, 502, 503, 504]) expect(isRetryable(new HttpStatusError(status, 'u'))).toBe(true)
    for (const status of [400, 401, 403, 404, 410, 304, 301]) expect(isRetryable(new HttpStatusError(status, 'u'))).toBe(false)
  })

  it('retries network errors and timeouts, with a message naming the URL', () => {
    const reset = describeTransportError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }), 'http://h/x', { headersMs: 1, bodyMs: 2 })
    expect(reset.code).toBe('ERR_NETWORK')
    expect(reset.message).toContain('http://h/x')
    expect(isRetryable(reset)).toBe(true)
    const slow = describeTransportError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' }), 'http://h/x', { headersMs: 300, bodyMs: 2 })
    expect(slow.code).toBe('ERR_TIMEOUT')
    expect(slow.message).toBe('no response headers from http://h/x within 300 ms')
    expect(isRetryable(slow)).toBe(true)
  })

  it('a body in a coding that was not asked for is the fault of the source, not retried', () => {
    const err = describeTransportError(Object.assign(new Error('unsupported Content-Encoding compress'), { code: 'ERR_UNSUPPORTED_ENCODING' }), 'http://h/x', {
      headersMs: 1,
      bodyMs: 2,
    })
    expect(err).toMatchObject({ code: 'ERR_SOURCE', message: 'http://h/x: unsupported Content-Encoding compress' })
    expect(isRetryable(err)).toBe(false)
  })

  it('a full disk or another file error while writing the cache is said so, and not retried', () => {
    const full = describeTransportError(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }), 'http://h/x', { headersMs: 1, bodyMs: 2 })
    expect(full).toMatchObject({ code: 'ERR_DISK_FULL', message: 'no space left for the cache of http://h/x: no space left on device' })
    const denied = describeTransportError(Object.assign(new Error('permission denied'), { code: 'EACCES' }), 'http://h/x', { headersMs: 1, bodyMs: 2 })
    expect(denied.code).toBe('ERR_IO')
    expect(isRetryable(full) || isRetryable(denied)).toBe(false)
  })

  it('does not retry a body that is not JSON', () => {
    expect(isRetryable(Object.assign(new Error('bad'), { code: 'ERR_PARSE' }))).toBe(false)
  })
})

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(parseRetryAfter('120', now)).toBe(120_000)
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000)
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0)
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
  })
})

/**
 * A fault the demo API can be told to answer with, for a path (configuration) or a request (query string:
 * `?fault=500&times=2`, `?fault=429&retryAfter=1`, `?fault=hang`, `?fault=cut&after=5000`, `?fault=stall&after=5000`,
 * `?fault=invalid`).
 */
export interface DemoFault {
  /** Answer with this status (500, 503, 429, …) and a small JSON error body. */
  readonly status?: number
  /** Seconds, sent as Retry-After with the status. */
  readonly retryAfter?: number
  /** Accept the request and never answer. */
  readonly hang?: boolean
  /** Send this many bytes of the body, then drop the connection. */
  readonly cutAfter?: number
  /** Send this many bytes of the body, then send nothing more (the connection stays open). */
  readonly stallAfter?: number
  /** Send a body that is not valid JSON half-way through. */
  readonly invalidJson?: boolean
  /** Apply to the first this-many requests only, then answer normally. @default every request */
  readonly times?: number
}

/** Reads a fault from a request's query string; undefined when it names none. Throws on a fault it cannot read. */
export function faultFromQuery(params: URLSearchParams): DemoFault | undefined {
  const kind = params.get('fault')
  if (kind === null) return undefined
  const number = (name: string): number | undefined => {
    const raw = params.get(name)
    if (raw === null) return undefined
    const value = Number(raw)
    if (!Number.isFinite(value) || value < 0) throw new Error(`query parameter ${name} must be a non-negative number`)
    return value
  }
  const times = number('times')
  const common = times === undefined ? {} : { times }
  if (/^\d{3}$/.test(kind)) {
    const retryAfter = number('retryAfter')
    return { ...common, status: Number(kind), ...(retryAfter === undefined ? {} : { retryAfter }) }
  }
  switch (kind) {
    case 'hang':
      return { ...common, hang: true }
    case 'cut':
      return { ...common, cutAfter: number('after') ?? 1000 }
    case 'stall':
      return { ...common, stallAfter: number('after') ?? 1000 }
    case 'invalid':
      return { ...common, invalidJson: true }
    default:
      throw new Error(`unknown fault ${kind}: use a status (500, 429, …), hang, cut, stall or invalid`)
  }
}

/** The query parameters that describe a fault: not part of what the fault counter keys on besides the path. */
export const FAULT_PARAMS = ['fault', 'times', 'after', 'retryAfter'] as const

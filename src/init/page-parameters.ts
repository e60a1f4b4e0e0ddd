import type { Pagination } from '../config/config-schema.js'
import type { BodyField } from './body-fields.js'

/** Up to `max` records of the page at `url`, each as JSON text; undefined when the response is no page of records. */
export type FetchRecords = (url: URL, max: number) => Promise<readonly string[] | undefined>

/** A pagination found, and why it was chosen. */
export interface DetectedPagination {
  readonly pagination: Pagination
  readonly reason: string
}

/** A pair of query parameters to try: the page size, and the position (records to skip, or page number). */
export interface ParameterCandidate {
  readonly style: 'offset' | 'page'
  readonly sizeKey: string
  readonly positionKey: string
}

/** The page size `warm` asks for when the first page is larger: the engine's default `limitMax`. */
const MAX_PAGE = 1000

const GENERIC: readonly ParameterCandidate[] = [
  { style: 'offset', sizeKey: 'limit', positionKey: 'offset' },
  { style: 'page', sizeKey: 'per_page', positionKey: 'page' },
  { style: 'offset', sizeKey: 'limit', positionKey: 'skip' },
  { style: 'offset', sizeKey: 'take', positionKey: 'skip' },
  { style: 'page', sizeKey: 'limit', positionKey: 'page' },
  { style: 'page', sizeKey: 'page_size', positionKey: 'page' },
  { style: 'page', sizeKey: 'pageSize', positionKey: 'page' },
  { style: 'page', sizeKey: 'size', positionKey: 'page' },
]

const SIZE_NAME = /^(limit|per_?page|perPage|page_?size|pageSize|size|take|rows|max_?results|maxResults|top)$/i
const OFFSET_NAME = /^(offset|skip|start|from)$/i
const PAGE_NAME = /^(page|page_?number|pageNumber|p|pg)$/i

/**
 * The parameter pairs worth trying, most likely first: those the URL already carries (a number equal to
 * the first page's size is the size, the other numbers positions), then those the body names, then the
 * common spellings of offset/limit and page/per_page.
 */
export function parameterCandidates(url: URL, fields: readonly BodyField[], firstCount: number): ParameterCandidate[] {
  const sizes: string[] = []
  const positions: string[] = []
  for (const [name, value] of url.searchParams) {
    if (!/^\d+$/.test(value)) continue
    if (Number(value) === firstCount || SIZE_NAME.test(name)) sizes.push(name)
    else positions.push(name)
  }
  for (const field of fields) {
    const name = field.path.at(-1) as string
    if (typeof field.value !== 'number') continue
    if (SIZE_NAME.test(name)) sizes.push(name)
    else if (OFFSET_NAME.test(name) || PAGE_NAME.test(name)) positions.push(name)
  }
  const hinted: ParameterCandidate[] = []
  for (const positionKey of positions) {
    const styles: ParameterCandidate['style'][] = OFFSET_NAME.test(positionKey) ? ['offset'] : PAGE_NAME.test(positionKey) ? ['page'] : ['offset', 'page']
    for (const style of styles) {
      for (const sizeKey of sizes.length > 0 ? sizes : [style === 'offset' ? 'limit' : 'per_page']) hinted.push({ style, sizeKey, positionKey })
    }
  }
  const seen = new Set<string>()
  return [...hinted, ...GENERIC].filter((c) => {
    const id = `${c.style} ${c.sizeKey} ${c.positionKey}`
    if (seen.has(id) || c.sizeKey === c.positionKey) return false
    seen.add(id)
    return true
  })
}

/** The page-number parameters to try alone, for an API whose page size is fixed. */
export function pageKeyCandidates(candidates: readonly ParameterCandidate[]): string[] {
  return [...new Set(['page', ...candidates.filter((c) => c.style === 'page').map((c) => c.positionKey)])]
}

/**
 * Tries one pair on the API: asks for a page that the first page already shows (records 2–3 by offset, or
 * page 2 of 3 records, records 4–6), so that a match proves both parameters are honoured and tells offset
 * from page numbers and pages counted from 1 from those counted from 0. Then asks for a page of the size
 * the source will use, to learn whether the API caps it.
 */
export async function tryParameters(
  url: URL,
  first: readonly string[],
  candidate: ParameterCandidate,
  fetch: FetchRecords,
): Promise<DetectedPagination | undefined> {
  const n = first.length
  if (n < 2) return undefined
  const { style, sizeKey, positionKey } = candidate
  let firstPage = 1
  let asked: string
  if (style === 'offset') {
    const size = Math.min(2, n - 1)
    const probe = withParams(url, { [sizeKey]: size, [positionKey]: 1 })
    if (!sameRecords(await fetch(probe, size + 1), first.slice(1, 1 + size))) return undefined
    asked = `${sizeKey}=${size}&${positionKey}=1 returned ${size === 1 ? 'record 2' : 'records 2 and 3'} of the first page`
  } else {
    const size = n >= 6 ? 3 : 1
    const got = await fetch(withParams(url, { [sizeKey]: size, [positionKey]: 2 }), size + 1)
    if (sameRecords(got, first.slice(size, 2 * size))) firstPage = 1
    else if (n >= 3 * size && size > 1 && sameRecords(got, first.slice(2 * size, 3 * size))) firstPage = 0
    else return undefined
    const shown = size === 1 ? `record ${firstPage === 1 ? 2 : 3}` : `records ${firstPage === 1 ? '4–6' : '7–9'}`
    asked = `${positionKey}=2&${sizeKey}=${size} returned ${shown} of the first page${firstPage === 0 ? ' (pages count from 0)' : ''}`
  }
  const wanted = Math.min(n, MAX_PAGE)
  const full = await fetch(withParams(url, { [sizeKey]: wanted, [positionKey]: style === 'offset' ? 0 : firstPage }), wanted + 1)
  if (full === undefined || full.length === 0 || full.length > wanted) return undefined
  const size = full.length
  const why =
    size < wanted
      ? `${size}, the most the API gives per page`
      : wanted < n
        ? `${size}, as the first page was larger`
        : `${size}, the first page's size (a larger one the API allows means fewer requests)`
  const pagination: Pagination =
    style === 'offset'
      ? {
          style,
          ...(sizeKey === 'limit' ? {} : { limitKey: sizeKey }),
          ...(positionKey === 'offset' ? {} : { skipKey: positionKey }),
          ...(size === MAX_PAGE ? {} : { limitMax: size }),
        }
      : {
          style,
          ...(positionKey === 'page' ? {} : { pageKey: positionKey }),
          ...(sizeKey === 'per_page' ? {} : { perPageKey: sizeKey }),
          ...(size === 100 ? {} : { perPage: size }),
          ...(firstPage === 1 ? {} : { firstPage }),
        }
  const noun = style === 'offset' ? `offset (${sizeKey}/${positionKey})` : `page (${positionKey}/${sizeKey})`
  return { pagination, reason: `${noun}: ?${asked}; ${style === 'offset' ? 'limitMax' : 'perPage'} ${why}` }
}

/**
 * Tries a page number alone, for an API with a fixed page size: page 1 (or 0) must start as the first page
 * did, and page 2 (or 1) hold other records, no more than the first page.
 */
export async function tryPageNumber(url: URL, first: readonly string[], pageKey: string, fetch: FetchRecords): Promise<DetectedPagination | undefined> {
  const n = first.length
  if (n < 2) return undefined
  const startsFirst = async (page: number): Promise<boolean> => (await fetch(withParams(url, { [pageKey]: page }), 1))?.[0] === first[0]
  const firstPage = (await startsFirst(1)) ? 1 : (await startsFirst(0)) ? 0 : undefined
  if (firstPage === undefined) return undefined
  const second = withParams(url, { [pageKey]: firstPage + 1 })
  const head = await fetch(second, 1)
  if (head === undefined || head.length === 0 || first.includes(head[0] as string)) return undefined
  const page = await fetch(second, n + 1)
  if (page === undefined || page.length > n || !allNew(first, page)) return undefined
  const pagination: Pagination = {
    style: 'page',
    ...(pageKey === 'page' ? {} : { pageKey }),
    ...(n === 100 ? {} : { perPage: n }),
    ...(firstPage === 1 ? {} : { firstPage }),
  }
  return {
    pagination,
    reason: `page (${pageKey}): ?${pageKey}=${firstPage + 1} returned ${page.length} other records; perPage ${n}, the first page's size, which the API fixes`,
  }
}

/** True when every record of `next` is absent from the first page: a page that advances. */
export function allNew(first: readonly string[], next: readonly string[]): boolean {
  const seen = new Set(first)
  return next.length > 0 && next.every((record) => !seen.has(record))
}

function sameRecords(got: readonly string[] | undefined, expected: readonly string[]): boolean {
  return got !== undefined && expected.length > 0 && got.length === expected.length && got.every((record, i) => record === expected[i])
}

export function withParams(url: URL, params: Record<string, string | number>): URL {
  const out = new URL(url)
  for (const [name, value] of Object.entries(params)) out.searchParams.set(name, String(value))
  return out
}

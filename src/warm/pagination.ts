import type { Pagination } from '../config/config-schema.js'

/** What one page told about the next. */
export interface PageResult {
  readonly url: URL
  readonly records: number
  /** The value at the paginator's `capturePath` in the body (a cursor, a next link), if any. */
  readonly captured: unknown
  /** The response's Link header. */
  readonly link: string | undefined
}

/** Walks the pages of a source: the first URL, then each next one from what the previous page held. */
export interface Paginator {
  /** A field of the body the paginator needs, as a path. */
  readonly capturePath: readonly string[] | undefined
  first(url: URL): URL
  /** The next page's URL, or undefined after the last. */
  next(page: PageResult): URL | undefined
}

const SINGLE: Paginator = { capturePath: undefined, first: (url) => url, next: () => undefined }

/** The paginator of a source's `pagination`; a source without one is a single request. */
export function createPaginator(pagination: Readonly<Pagination> | undefined): Paginator {
  switch (pagination?.style) {
    case undefined:
      return SINGLE
    case 'offset': {
      const limitKey = pagination.limitKey ?? 'limit'
      const skipKey = pagination.skipKey ?? 'offset'
      const limit = pagination.limitMax ?? 1000
      return {
        capturePath: undefined,
        first: (url) => withParams(url, { [limitKey]: limit, [skipKey]: 0 }),
        // More than the limit: the API ignores the parameters and sent everything.
        next: (page) => (page.records !== limit ? undefined : withParams(page.url, { [skipKey]: Number(page.url.searchParams.get(skipKey)) + limit })),
      }
    }
    case 'page': {
      const pageKey = pagination.pageKey ?? 'page'
      const perPageKey = pagination.perPageKey ?? 'per_page'
      const perPage = pagination.perPage ?? 100
      return {
        capturePath: undefined,
        first: (url) => withParams(url, { [pageKey]: pagination.firstPage ?? 1, [perPageKey]: perPage }),
        next: (page) => (page.records !== perPage ? undefined : withParams(page.url, { [pageKey]: Number(page.url.searchParams.get(pageKey)) + 1 })),
      }
    }
    case 'cursor': {
      const cursorKey = pagination.cursorKey ?? 'cursor'
      return {
        capturePath: pagination.cursorPath.split('.'),
        first: (url) => url,
        next: (page) => (page.records === 0 || isBlank(page.captured) ? undefined : withParams(page.url, { [cursorKey]: String(page.captured) })),
      }
    }
    case 'next-link':
      return {
        capturePath: pagination.nextPath.split('.'),
        first: (url) => url,
        next: (page) => (page.records === 0 || isBlank(page.captured) ? undefined : new URL(String(page.captured), page.url)),
      }
    case 'link-header':
      return {
        capturePath: undefined,
        first: (url) => url,
        next: (page) => {
          const next = page.records === 0 ? undefined : nextLink(page.link)
          return next === undefined ? undefined : new URL(next, page.url)
        },
      }
  }
}

function withParams(url: URL, params: Record<string, string | number>): URL {
  const out = new URL(url)
  for (const [name, value] of Object.entries(params)) out.searchParams.set(name, String(value))
  return out
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || value === '' || value === false
}

/** The target of `rel="next"` in a Link header (RFC 8288): `<https://…?page=2>; rel="next", <…>; rel="last"`. */
export function nextLink(header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  for (const match of header.matchAll(/<([^>]*)>((?:\s*;\s*[^;,]+)*)/g)) {
    const rel = /;\s*rel\s*=\s*"?([^";]+)"?/i.exec(match[2] ?? '')?.[1]
    if (rel?.toLowerCase().split(/\s+/).includes('next')) return match[1]
  }
  return undefined
}

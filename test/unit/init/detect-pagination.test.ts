import { describe, expect, it } from 'vitest'
import { detectPagination, type FirstPage } from '../../../src/init/detect-pagination.js'
import type { FetchRecords } from '../../../src/init/page-parameters.js'

const RECORDS = Array.from({ length: 30 }, (_, i) => ({ id: i + 1 }))

type Handler = (url: URL) => { body: unknown; headers?: Record<string, string> } | undefined

/** An API in memory: `handler` answers each URL; the records sit at `recordsPath`. Remembers what was asked. */
function fakeApi(handler: Handler, recordsPath: readonly string[] = ['items']) {
  const requests: string[] = []
  const recordsOf = (body: unknown): unknown[] | undefined => {
    let at = body
    for (const key of recordsPath) at = (at as Record<string, unknown> | undefined)?.[key]
    return Array.isArray(at) ? at : undefined
  }
  const fetch: FetchRecords = async (url, max) => {
    requests.push(`${url.pathname}${url.search}`)
    const response = handler(url)
    return response === undefined
      ? undefined
      : recordsOf(response.body)
          ?.slice(0, max)
          .map((r) => JSON.stringify(r))
  }
  const detect = (url: string) => {
    const first = new URL(url)
    const response = handler(first) as { body: unknown; headers?: Record<string, string> }
    const page: FirstPage = {
      url: first,
      body: response.body,
      headers: response.headers ?? {},
      recordsPath,
      records: (recordsOf(response.body) ?? []).map((r) => JSON.stringify(r)),
    }
    return detectPagination(page, fetch)
  }
  return { detect, requests }
}

const num = (url: URL, name: string): number | undefined => (url.searchParams.has(name) ? Number(url.searchParams.get(name)) : undefined)

describe('detectPagination', () => {
  it('a Link header that leads back to the same records is noted and passed over for the next link in the body (HAL)', async () => {
    const api = fakeApi((url) => {
      const from = num(url, 'from') ?? 0
      return {
        body: { items: RECORDS.slice(from, from + 10), _links: { next: { href: `/x?from=${from + 10}` } } },
        headers: { link: '</x?loop=1>; rel="next"' },
      }
    })
    const found = await api.detect('http://h/x')
    expect(found.pagination).toEqual({ style: 'next-link', nextPath: '_links.next.href' })
    expect(found.notes).toEqual(['the Link rel="next" header (/x?loop=1) leads to no page of other records: not used'])
    expect(api.requests).toEqual(['/x?loop=1', '/x?from=10'])
  })

  it('a next link to a page that repeats some of the first, and a cursor to an empty page, do not advance', async () => {
    const api = fakeApi((url) => {
      const from = num(url, 'from') ?? 0
      return { body: { items: url.searchParams.has('after') ? [] : RECORDS.slice(from, from + 10), next: `/x?from=${from + 5}`, next_cursor: 'c2' } }
    })
    const found = await api.detect('http://h/x')
    expect(found.pagination).toBeUndefined()
    expect(found.notes.slice(0, 2)).toEqual([
      'next (/x?from=5) leads to no page of other records: not used',
      'next_cursor ("c2") looks like a cursor, but no query parameter tried (cursor, after, next, page_token, pageToken, continuation, marker, starting_after) took it',
    ])
  })

  it("a page's own cursor is passed over for the next one", async () => {
    const api = fakeApi((url) => {
      const at = num(url, 'cursor') ?? 0
      return { body: { meta: { cursor: String(at), next_cursor: String(at + 10) }, items: RECORDS.slice(at, at + 10) } }
    })
    const found = await api.detect('http://h/x')
    expect(found.pagination).toEqual({ style: 'cursor', cursorPath: 'meta.next_cursor' })
    expect(api.requests).toEqual(['/x?cursor=10'])
  })

  it('a next page number in the body is a cursor, sent back as the parameter its name suggests', async () => {
    const api = fakeApi((url) => {
      const page = num(url, 'page') ?? 1
      return { body: { items: RECORDS.slice((page - 1) * 10, page * 10), next_page: page + 1 } }
    })
    const found = await api.detect('http://h/x')
    expect(found.pagination).toEqual({ style: 'cursor', cursorPath: 'next_page', cursorKey: 'page' })
    expect(api.requests).toEqual(['/x?page=2'])
  })

  it('offset/limit where the API caps the page: limitMax is the most it gives', async () => {
    const api = fakeApi((url) => {
      const limit = num(url, 'limit')
      const offset = num(url, 'offset') ?? 0
      // Everything without a limit; at most 5 with one.
      return { body: { items: limit === undefined ? RECORDS.slice(offset) : RECORDS.slice(offset, offset + Math.min(limit, 5)) } }
    })
    const found = await api.detect('http://h/x')
    expect(found.pagination).toEqual({ style: 'offset', limitMax: 5 })
    expect(found.reason).toBe(
      'offset (limit/offset): ?limit=2&offset=1 returned records 2 and 3 of the first page; limitMax 5, the most the API gives per page',
    )
    expect(api.requests).toEqual(['/x?limit=2&offset=1', '/x?limit=30&offset=0'])
  })

  it('pages counted from 0 are told from pages counted from 1 and from an offset', async () => {
    const api = fakeApi((url) => {
      const page = num(url, 'page') ?? 0
      const size = num(url, 'per_page') ?? 10
      return { body: { items: RECORDS.slice(page * size, (page + 1) * size) } }
    })
    const found = await api.detect('http://h/x')
    expect(found.pagination).toEqual({ style: 'page', perPage: 10, firstPage: 0 })
    expect(found.reason).toMatch(/^page \(page\/per_page\): \?page=2&per_page=3 returned records 7–9 of the first page \(pages count from 0\); perPage 10, /)
  })

  it('the parameters the URL already carries are tried first', async () => {
    const api = fakeApi((url) => {
      const start = num(url, 'start') ?? 0
      return { body: { items: RECORDS.slice(start, start + (num(url, 'rows') ?? 10)) } }
    })
    const found = await api.detect('http://h/x?rows=10&start=0')
    expect(found.pagination).toEqual({ style: 'offset', limitKey: 'rows', skipKey: 'start', limitMax: 10 })
    expect(api.requests[0]).toBe('/x?rows=2&start=1')
  })

  it('a page number alone, for an API whose page size is fixed', async () => {
    const api = fakeApi((url) => {
      const page = num(url, 'page') ?? 1
      return { body: { items: RECORDS.slice((page - 1) * 8, page * 8) } }
    })
    const found = await api.detect('http://h/x')
    expect(found.pagination).toEqual({ style: 'page', perPage: 8 })
    expect(found.reason).toBe("page (page): ?page=2 returned 8 other records; perPage 8, the first page's size, which the API fixes")
  })

  it('an empty next link: the API pages by it and this is its only page; nothing else is asked', async () => {
    const api = fakeApi(() => ({ body: { data: RECORDS.slice(0, 3), links: { next: null, self: '/x' } } }), ['data'])
    const found = await api.detect('http://h/x')
    expect(found.pagination).toEqual({ style: 'next-link', nextPath: 'links.next' })
    expect(api.requests).toEqual([])
  })

  it('a next page named by a URL in next_page is a next link; an empty next_page is not taken for one', async () => {
    const api = fakeApi((url) => {
      const page = num(url, 'page') ?? 1
      return { body: { items: RECORDS.slice((page - 1) * 10, page * 10), next_page: page < 3 ? `http://h/x?page=${page + 1}` : null } }
    })
    expect((await api.detect('http://h/x')).pagination).toEqual({ style: 'next-link', nextPath: 'next_page' })
    const last = await api.detect('http://h/x?page=3')
    expect(last.pagination).not.toEqual(expect.objectContaining({ style: 'next-link' }))
  })

  it('nothing pages: one request, with a note when the body counts more records than it holds, and when a cursor is null', async () => {
    const api = fakeApi(() => ({ body: { items: RECORDS.slice(0, 10), meta: { total: 30, next_cursor: null } } }))
    const found = await api.detect('http://h/x')
    expect(found.pagination).toBeUndefined()
    expect(found.reason).toBe('none: no next link, cursor or page parameter led to other records; warm makes one request')
    expect(found.notes).toEqual([
      'meta.next_cursor is null, so the first page is the only one: the query parameter of its cursor cannot be tried',
      'meta.total says 30 records but the first page holds 10: set pagination in the source, or warm gets only the first page',
    ])
  })

  it('a cursor no parameter takes is noted', async () => {
    const api = fakeApi(() => ({ body: { items: RECORDS.slice(0, 1), cursor: 'abc' } }))
    const found = await api.detect('http://h/x')
    expect(found.pagination).toBeUndefined()
    expect(found.reason).toBe('none: the first page holds one record, too few to try page parameters on')
    expect(found.notes).toEqual([
      'cursor ("abc") looks like a cursor, but no query parameter tried (cursor, after, next, page_token, pageToken, continuation, marker, starting_after) took it',
    ])
  })
})

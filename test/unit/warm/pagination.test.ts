import { describe, expect, it } from 'vitest'
import { createPaginator, nextLink, type PageResult } from '../../../src/warm/pagination.js'

const page = (url: URL, records: number, extra: Partial<PageResult> = {}): PageResult => ({ url, records, captured: undefined, link: undefined, ...extra })

describe('paginators', () => {
  it('without pagination: one request to the URL as it is', () => {
    const p = createPaginator(undefined)
    const first = p.first(new URL('http://h/a?x=1'))
    expect(first.href).toBe('http://h/a?x=1')
    expect(p.next(page(first, 5000))).toBeUndefined()
  })

  it('offset/limit with its keys; stops on a short page', () => {
    const p = createPaginator({ style: 'offset', limitKey: 'take', skipKey: 'skip', limitMax: 2 })
    const first = p.first(new URL('http://h/v2/device?x=1'))
    expect(first.href).toBe('http://h/v2/device?x=1&take=2&skip=0')
    const second = p.next(page(first, 2)) as URL
    expect(second.href).toBe('http://h/v2/device?x=1&take=2&skip=2')
    expect(p.next(page(second, 1))).toBeUndefined()
    expect(p.next(page(second, 0))).toBeUndefined()
    // More than asked for: the API ignores the parameters and sent everything at once.
    expect(p.next(page(first, 3))).toBeUndefined()
  })

  it('page/per-page from the first page number', () => {
    const p = createPaginator({ style: 'page', perPage: 10, firstPage: 0 })
    const first = p.first(new URL('http://h/x'))
    expect(first.href).toBe('http://h/x?page=0&per_page=10')
    expect((p.next(page(first, 10)) as URL).href).toBe('http://h/x?page=1&per_page=10')
    expect(p.next(page(first, 9))).toBeUndefined()
  })

  it('cursor from the body, sent back under its key; stops without a cursor or on an empty page', () => {
    const p = createPaginator({ style: 'cursor', cursorPath: 'meta.next', cursorKey: 'after' })
    expect(p.capturePath).toEqual(['meta', 'next'])
    const first = p.first(new URL('http://h/x'))
    expect((p.next(page(first, 3, { captured: 'abc' })) as URL).href).toBe('http://h/x?after=abc')
    expect(p.next(page(first, 3, { captured: null }))).toBeUndefined()
    expect(p.next(page(first, 0, { captured: 'abc' }))).toBeUndefined()
  })

  it('next link from the body, relative or absolute', () => {
    const p = createPaginator({ style: 'next-link', nextPath: 'links.next' })
    const first = p.first(new URL('http://h/api/x'))
    expect((p.next(page(first, 1, { captured: '/api/x?page=2' })) as URL).href).toBe('http://h/api/x?page=2')
    expect((p.next(page(first, 1, { captured: 'http://h/other' })) as URL).href).toBe('http://h/other')
    expect(p.next(page(first, 1, { captured: '' }))).toBeUndefined()
  })

  it('Link header rel="next"', () => {
    const p = createPaginator({ style: 'link-header' })
    const first = p.first(new URL('http://h/x'))
    expect((p.next(page(first, 1, { link: '<http://h/x?page=2>; rel="next", <http://h/x?page=9>; rel="last"' })) as URL).href).toBe('http://h/x?page=2')
    expect(p.next(page(first, 1, { link: '<http://h/x?page=9>; rel="last"' }))).toBeUndefined()
    expect(p.next(page(first, 1))).toBeUndefined()
  })
})

describe('Link header', () => {
  it('finds next among several relations, in any order, quoted or not', () => {
    expect(nextLink('<https://a/b?c=1,2>; rel="prev", <https://a/b?c=3>; rel="next"')).toBe('https://a/b?c=3')
    expect(nextLink('</p/2>; title="x"; rel=next')).toBe('/p/2')
    expect(nextLink('</p/2>; rel="next last"')).toBe('/p/2')
    expect(nextLink('</p/2>; rel="prev"')).toBeUndefined()
  })
})
